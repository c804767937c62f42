// The web app's files (viewer/static/), compiled into the binary by
// embed_assets.cmake: the server can only ever serve these, whatever path
// a request names, and there is no install step or build step for them.
#pragma once

#include <string_view>

namespace slotsim::viewer {

struct Asset {
  std::string_view name;          // file name in viewer/static/
  std::string_view content_type;  // from the extension
  std::string_view bytes;
};

// The asset called exactly `name` (no directories), or nullptr.
const Asset* FindAsset(std::string_view name);

}  // namespace slotsim::viewer
