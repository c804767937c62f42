// The viewer's JSON API over one trace database, independent of HTTP: a
// path and its query parameters in, a status and a JSON body out. The
// HTTP server (viewer/server.h) and the tests call Handle().
#pragma once

#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "viewer/sql.h"

namespace slotsim::viewer {

struct ApiResponse {
  int status = 200;
  std::string body;  // JSON; {"error": "..."} when status is not 200
};

class ViewerApi {
 public:
  // Opens `db_path` read-only and checks it is a current trace database.
  // nullptr and *error (a sentence) otherwise.
  static std::unique_ptr<ViewerApi> Open(const std::string& db_path, std::string* error);

  // Answers GET `path` (e.g. "/api/runs/3/state") with `params` as
  // received. Safe to call from several threads at once. Every request
  // gets an answer: 200, 4xx with a sentence for the client's mistakes,
  // 500 with a sentence for a damaged file.
  ApiResponse Handle(const std::string& path,
                     const std::vector<std::pair<std::string, std::string>>& params);

  const std::string& db_path() const { return path_; }

 private:
  explicit ViewerApi(std::string path) : path_(std::move(path)) {}
  std::unique_ptr<ReadOnlyDb> Acquire();
  void Release(std::unique_ptr<ReadOnlyDb> db);
  std::string Dispatch(ReadOnlyDb& db, const std::string& path,
                       const std::vector<std::pair<std::string, std::string>>& params);
  bool CacheGet(const std::string& key, std::string* body);
  void CachePut(const std::string& key, const std::string& body);

  const std::string path_;
  std::mutex mu_;
  std::vector<std::unique_ptr<ReadOnlyDb>> idle_;  // at most kMaxIdleConnections
  // Answers about finished runs never change: an LRU of response bodies.
  std::list<std::pair<std::string, std::string>> lru_;
  std::unordered_map<std::string, std::list<std::pair<std::string, std::string>>::iterator> index_;
  size_t cached_bytes_ = 0;
};

}  // namespace slotsim::viewer
