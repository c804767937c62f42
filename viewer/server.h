// `slotsim view`'s HTTP server: the web app's files and the JSON API of
// one trace database, read-only.
#pragma once

#include <functional>
#include <string>

#include "viewer/api.h"

namespace slotsim::viewer {

struct ServerOptions {
  std::string host = "127.0.0.1";  // loopback only unless asked
  int port = 8080;                 // 0: any free port
  // Called once the socket is bound, with the port, before serving.
  std::function<void(int port)> on_listening;
};

// Serves until the process is stopped. False and *error if the address
// cannot be bound (in use, not an address of this machine).
bool Serve(ViewerApi& api, const ServerOptions& options, std::string* error);

}  // namespace slotsim::viewer
