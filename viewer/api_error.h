// What an endpoint throws when it cannot answer: an HTTP status and a
// sentence for the user. 4xx for the request's fault, 500 for ours.
#pragma once

#include <stdexcept>
#include <string>

namespace slotsim::viewer {

struct ApiError : std::runtime_error {
  ApiError(int http_status, const std::string& message)
      : std::runtime_error(message), status(http_status) {}
  int status;
};

}  // namespace slotsim::viewer
