// Pub/Sub (pubsub.c, Redis 7.0.15): classic channels and patterns, which
// PUBLISH spreads over the whole cluster bus, and shard channels, which
// hash to a slot, SPUBLISH spreads only within the slot's shard, and
// which are unsubscribed when the node's shard loses the slot.
//
// Replies are RESP2, the only protocol slotsim speaks: a subscribed client
// gets ["message", channel, payload] and friends as plain arrays.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "engine/env.h"

namespace slotsim {

class PubSub {
 public:
  enum class Kind { kChannel, kPattern, kShard };

  // `deliver` sends bytes to a subscriber's connection (Server::Reply).
  explicit PubSub(std::function<void(ConnId, const std::string&)> deliver)
      : deliver_(std::move(deliver)) {}

  // [P|S]SUBSCRIBE: subscribes `conn` to each name and appends one
  // confirmation per name, with the client's count of that family
  // (channels and patterns together, shard channels apart) after it.
  void Subscribe(ConnId conn, Kind kind, const std::vector<std::string>& names,
                 std::string* out);
  // [P|S]UNSUBSCRIBE: `names` empty means all of that kind (in name
  // order); a client with none gets one reply with a nil name.
  void Unsubscribe(ConnId conn, Kind kind, const std::vector<std::string>& names,
                   std::string* out);
  // Delivers `message` to this node's subscribers of `channel` (and, for
  // a classic channel, of the patterns matching it); returns how many
  // received it (pubsubPublishMessage).
  int64_t Publish(const std::string& channel, const std::string& message, bool sharded);
  // removeChannelsInSlot: every shard channel hashing to `slot` loses all
  // its subscribers, each told with a sunsubscribe message.
  void RemoveShardChannelsInSlot(int slot);
  // freeClient: forgets every subscription of `conn`, telling nobody.
  void RemoveClient(ConnId conn);
  // The client's subscriptions of every kind: more than 0 puts a RESP2
  // client in subscribed mode (CLIENT_PUBSUB).
  int64_t SubscriptionsOf(ConnId conn) const;
  // PUBSUB CHANNELS [pattern] | NUMSUB [channel ...] | NUMPAT |
  // SHARDCHANNELS [pattern] | SHARDNUMSUB [channel ...] | HELP.
  void PubsubCommand(const std::vector<std::string>& argv, std::string* out) const;
  // Any subscription at all (for INFO's pubsub_channels and the like).
  int64_t channel_count() const { return static_cast<int64_t>(channels_.size()); }
  int64_t pattern_count() const { return static_cast<int64_t>(patterns_.size()); }
  int64_t shard_channel_count() const { return static_cast<int64_t>(shard_.size()); }

 private:
  struct ClientSubs {
    std::set<std::string> channels, patterns, shard;
  };
  using Subscribers = std::map<std::string, std::set<ConnId>>;
  Subscribers& table(Kind kind);
  std::set<std::string>& subs_of(ClientSubs& c, Kind kind);
  int64_t CountFor(const ClientSubs& c, Kind kind) const;
  // Removes one subscription; appends the confirmation if `out`, else
  // sends it to the client (a slot's channels going away).
  void UnsubscribeOne(ConnId conn, Kind kind, const std::string& name, std::string* out);

  std::function<void(ConnId, const std::string&)> deliver_;
  Subscribers channels_, patterns_, shard_;
  std::map<ConnId, ClientSubs> clients_;
};

}  // namespace slotsim
