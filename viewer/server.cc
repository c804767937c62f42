#include "viewer/server.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

#include "viewer/assets.h"

namespace slotsim::viewer {
namespace {

// Connections served at once. A browser keeps about six open per page.
constexpr size_t kServerThreads = 16;

void SetCommonHeaders(httplib::Response& res) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("Cache-Control", "no-store");
  // The app loads only its own files and talks only to this server.
  res.set_header("Content-Security-Policy",
                 "default-src 'self'; style-src 'self'; img-src 'self' data:");
}

void Error(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content(nlohmann::json{{"error", message}}.dump(
                      -1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

// A static file name: letters, digits, '.', '-', '_', and not starting
// with '.': no directories, no "..", nothing hidden.
bool PlainFileName(const std::string& name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_'))
      return false;
  return true;
}

void ServeAsset(const std::string& name, httplib::Response& res) {
  const Asset* a = PlainFileName(name) ? FindAsset(name) : nullptr;
  if (a == nullptr) {
    Error(res, 404, "no such file: " + name.substr(0, 100));
    return;
  }
  res.set_content(std::string(a->bytes), std::string(a->content_type));
}

}  // namespace

bool Serve(ViewerApi& api, const ServerOptions& options, std::string* error) {
  httplib::Server server;
  server.set_payload_max_length(64 << 10);
  // Small JSON answers on a keep-alive connection: without this, Nagle and
  // delayed ACKs add up to 40 ms to each request.
  server.set_tcp_nodelay(true);
  server.new_task_queue = [] { return new httplib::ThreadPool(kServerThreads); };
  server.set_keep_alive_max_count(1000);
  server.Get(".*", [&](const httplib::Request& req, httplib::Response& res) {
    SetCommonHeaders(res);
    const std::string& path = req.path;
    if (path == "/" || path == "/index.html") return ServeAsset("index.html", res);
    if (path.rfind("/static/", 0) == 0) return ServeAsset(path.substr(8), res);
    if (path.rfind("/api/", 0) == 0) {
      std::vector<std::pair<std::string, std::string>> params(req.params.begin(),
                                                              req.params.end());
      const ApiResponse r = api.Handle(path, params);
      res.status = r.status;
      res.set_content(r.body, "application/json");
      return;
    }
    Error(res, 404, "no such page: " + path.substr(0, 100));
  });
  const auto read_only = [](const httplib::Request&, httplib::Response& res) {
    SetCommonHeaders(res);
    res.set_header("Allow", "GET, HEAD");
    Error(res, 405, "the viewer is read-only: only GET is served");
  };
  server.Post(".*", read_only);
  server.Put(".*", read_only);
  server.Patch(".*", read_only);
  server.Delete(".*", read_only);
  server.Options(".*", read_only);
  int port = options.port;
  if (port == 0) {
    port = server.bind_to_any_port(options.host);
    if (port < 0) {
      *error = "cannot listen on " + options.host + " (any port)";
      return false;
    }
  } else if (!server.bind_to_port(options.host, port)) {
    *error = "cannot listen on " + options.host + ":" + std::to_string(port) +
             " (in use, or not an address of this machine)";
    return false;
  }
  if (options.on_listening) options.on_listening(port);
  if (!server.listen_after_bind()) {
    *error = "the server stopped with an error";
    return false;
  }
  return true;
}

}  // namespace slotsim::viewer
