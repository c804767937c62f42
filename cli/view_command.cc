// `slotsim view DB`: serve the trace viewer for one database.
#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "viewer/api.h"
#include "viewer/server.h"

namespace slotsim {

int ViewCommand(const ViewCommandOptions& o) {
  std::string error;
  auto api = viewer::ViewerApi::Open(o.db, &error);
  if (!api) {
    std::cerr << "slotsim view: " << error << "\n";
    return kExitUsage;
  }
  viewer::ServerOptions options;
  options.host = o.host;
  options.port = o.port;
  options.on_listening = [&](int port) {
    const bool loopback = o.host == "127.0.0.1" || o.host == "localhost" || o.host == "::1";
    std::printf("slotsim view: serving %s (read-only) at http://%s:%d/\n", o.db.c_str(),
                o.host.find(':') != std::string::npos ? ("[" + o.host + "]").c_str()
                                                      : o.host.c_str(),
                port);
    if (!loopback)
      std::printf("slotsim view: listening on %s: anyone who can reach it can read the traces\n",
                  o.host.c_str());
    std::printf("slotsim view: stop with Ctrl-C\n");
    std::fflush(stdout);
  };
  if (!viewer::Serve(*api, options, &error)) {
    std::cerr << "slotsim view: " << error << "\n";
    return kExitUsage;
  }
  return kExitPass;
}

}  // namespace slotsim
