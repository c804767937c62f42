#include "engine/pubsub.h"

#include "engine/check.h"
#include "engine/introspection.h"
#include "engine/keyslot.h"
#include "engine/resp.h"
#include "engine/text.h"

namespace slotsim {
namespace {

const char* SubscribeReplyName(PubSub::Kind kind) {
  switch (kind) {
    case PubSub::Kind::kChannel: return "subscribe";
    case PubSub::Kind::kPattern: return "psubscribe";
    case PubSub::Kind::kShard: return "ssubscribe";
  }
  return "";
}

const char* UnsubscribeReplyName(PubSub::Kind kind) {
  switch (kind) {
    case PubSub::Kind::kChannel: return "unsubscribe";
    case PubSub::Kind::kPattern: return "punsubscribe";
    case PubSub::Kind::kShard: return "sunsubscribe";
  }
  return "";
}

void AppendTriple(std::string* out, const char* kind, const std::string* name, int64_t count) {
  resp::AppendArrayHeader(out, 3);
  resp::AppendBulk(out, kind);
  if (name != nullptr) resp::AppendBulk(out, *name); else resp::AppendNullBulk(out);
  resp::AppendInteger(out, count);
}

}  // namespace

PubSub::Subscribers& PubSub::table(Kind kind) {
  return kind == Kind::kChannel ? channels_ : kind == Kind::kPattern ? patterns_ : shard_;
}

std::set<std::string>& PubSub::subs_of(ClientSubs& c, Kind kind) {
  return kind == Kind::kChannel ? c.channels : kind == Kind::kPattern ? c.patterns : c.shard;
}

// clientSubscriptionsCount counts channels and patterns together;
// clientShardSubscriptionsCount counts shard channels alone.
int64_t PubSub::CountFor(const ClientSubs& c, Kind kind) const {
  if (kind == Kind::kShard) return static_cast<int64_t>(c.shard.size());
  return static_cast<int64_t>(c.channels.size() + c.patterns.size());
}

void PubSub::Subscribe(ConnId conn, Kind kind, const std::vector<std::string>& names,
                       std::string* out) {
  ClientSubs& c = clients_[conn];
  for (const std::string& name : names) {
    if (subs_of(c, kind).insert(name).second) table(kind)[name].insert(conn);
    AppendTriple(out, SubscribeReplyName(kind), &name, CountFor(c, kind));
  }
}

void PubSub::UnsubscribeOne(ConnId conn, Kind kind, const std::string& name, std::string* out) {
  auto cit = clients_.find(conn);
  if (cit != clients_.end() && subs_of(cit->second, kind).erase(name)) {
    Subscribers& t = table(kind);
    auto it = t.find(name);
    SLOTSIM_CHECK(it != t.end());
    it->second.erase(conn);
    if (it->second.empty()) t.erase(it);
  }
  const int64_t left = cit == clients_.end() ? 0 : CountFor(cit->second, kind);
  std::string reply;
  AppendTriple(out != nullptr ? out : &reply, UnsubscribeReplyName(kind), &name, left);
  if (out == nullptr) deliver_(conn, reply);
  if (cit != clients_.end() && cit->second.channels.empty() && cit->second.patterns.empty() &&
      cit->second.shard.empty())
    clients_.erase(cit);
}

void PubSub::Unsubscribe(ConnId conn, Kind kind, const std::vector<std::string>& names,
                         std::string* out) {
  if (!names.empty()) {
    for (const std::string& name : names) UnsubscribeOne(conn, kind, name, out);
    return;
  }
  std::vector<std::string> all;
  if (auto it = clients_.find(conn); it != clients_.end()) {
    const auto& subs = subs_of(it->second, kind);
    all.assign(subs.begin(), subs.end());
  }
  if (all.empty()) {
    // pubsubUnsubscribeAllChannels with nothing to drop: one reply, nil name.
    auto it = clients_.find(conn);
    AppendTriple(out, UnsubscribeReplyName(kind), nullptr,
                 it == clients_.end() ? 0 : CountFor(it->second, kind));
    return;
  }
  for (const std::string& name : all) UnsubscribeOne(conn, kind, name, out);
}

int64_t PubSub::Publish(const std::string& channel, const std::string& message, bool sharded) {
  int64_t receivers = 0;
  const Subscribers& direct = sharded ? shard_ : channels_;
  if (auto it = direct.find(channel); it != direct.end()) {
    std::string msg;
    resp::AppendArrayHeader(&msg, 3);
    resp::AppendBulk(&msg, sharded ? "smessage" : "message");
    resp::AppendBulk(&msg, channel);
    resp::AppendBulk(&msg, message);
    for (ConnId conn : it->second) {
      deliver_(conn, msg);
      receivers++;
    }
  }
  if (sharded) return receivers;
  for (const auto& [pattern, conns] : patterns_) {
    if (!GlobMatch(pattern, channel, /*nocase=*/false)) continue;
    std::string msg;
    resp::AppendArrayHeader(&msg, 4);
    resp::AppendBulk(&msg, "pmessage");
    resp::AppendBulk(&msg, pattern);
    resp::AppendBulk(&msg, channel);
    resp::AppendBulk(&msg, message);
    for (ConnId conn : conns) {
      deliver_(conn, msg);
      receivers++;
    }
  }
  return receivers;
}

void PubSub::RemoveShardChannelsInSlot(int slot) {
  if (shard_.empty()) return;
  std::vector<std::string> names;
  for (const auto& [name, conns] : shard_)
    if (KeyHashSlot(name) == slot) names.push_back(name);
  for (const std::string& name : names) {
    // pubsubShardUnsubscribeAllClients: each subscriber is told, with the
    // shard channels it has left.
    const std::set<ConnId> conns = shard_[name];
    for (ConnId conn : conns) UnsubscribeOne(conn, Kind::kShard, name, nullptr);
  }
}

void PubSub::RemoveClient(ConnId conn) {
  auto it = clients_.find(conn);
  if (it == clients_.end()) return;
  for (Kind kind : {Kind::kChannel, Kind::kPattern, Kind::kShard}) {
    Subscribers& t = table(kind);
    for (const std::string& name : subs_of(it->second, kind)) {
      auto tit = t.find(name);
      SLOTSIM_CHECK(tit != t.end());
      tit->second.erase(conn);
      if (tit->second.empty()) t.erase(tit);
    }
  }
  clients_.erase(it);
}

int64_t PubSub::SubscriptionsOf(ConnId conn) const {
  auto it = clients_.find(conn);
  if (it == clients_.end()) return 0;
  return static_cast<int64_t>(it->second.channels.size() + it->second.patterns.size() +
                              it->second.shard.size());
}

void PubSub::PubsubCommand(const std::vector<std::string>& argv, std::string* out) const {
  const std::string sub = argv.size() > 1 ? Lower(argv[1]) : "";
  auto names_matching = [&](const Subscribers& t) {
    if (argv.size() > 3) return false;
    const std::string* pattern = argv.size() == 3 ? &argv[2] : nullptr;
    std::vector<const std::string*> hits;
    for (const auto& [name, conns] : t)
      if (pattern == nullptr || GlobMatch(*pattern, name, false)) hits.push_back(&name);
    resp::AppendArrayHeader(out, static_cast<int64_t>(hits.size()));
    for (const std::string* name : hits) resp::AppendBulk(out, *name);
    return true;
  };
  auto numsub = [&](const Subscribers& t) {
    resp::AppendArrayHeader(out, static_cast<int64_t>(argv.size() - 2) * 2);
    for (size_t j = 2; j < argv.size(); ++j) {
      auto it = t.find(argv[j]);
      resp::AppendBulk(out, argv[j]);
      resp::AppendInteger(out, it == t.end() ? 0 : static_cast<int64_t>(it->second.size()));
    }
    return true;
  };
  bool ok = false;
  if (sub == "channels") ok = names_matching(channels_);
  else if (sub == "shardchannels") ok = names_matching(shard_);
  else if (sub == "numsub") ok = numsub(channels_);
  else if (sub == "shardnumsub") ok = numsub(shard_);
  else if (sub == "numpat" && argv.size() == 2) {
    resp::AppendInteger(out, pattern_count());
    ok = true;
  } else if (sub == "help" && argv.size() == 2) {
    static const char* kHelp[] = {
        "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CHANNELS [<pattern>]", "NUMPAT", "NUMSUB [<channel> ...]",
        "SHARDCHANNELS [<pattern>]", "SHARDNUMSUB [<shardchannel> ...]", "HELP"};
    resp::AppendArrayHeader(out, std::size(kHelp));
    for (const char* line : kHelp) resp::AppendSimple(out, line);
    ok = true;
  }
  if (!ok) {
    const bool known = sub == "channels" || sub == "shardchannels" || sub == "numpat" ||
                       sub == "help";
    resp::AppendError(out, known ? "ERR wrong number of arguments for 'pubsub|" + sub +
                                       "' command"
                                 : "ERR unknown subcommand '" +
                                       (argv.size() > 1 ? argv[1].substr(0, 128) : "") +
                                       "'. Try PUBSUB HELP.");
  }
}

}  // namespace slotsim
