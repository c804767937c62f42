#include "cli/shard.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

Shard Parse(const std::string& text, const ShardEnv& env) {
  Shard s;
  std::string err;
  EXPECT_TRUE(ParseShard(text, env, &s, &err)) << err;
  return s;
}

std::string Error(const std::string& text, const ShardEnv& env) {
  Shard s;
  std::string err;
  EXPECT_FALSE(ParseShard(text, env, &s, &err)) << text;
  return err;
}

TEST(Shard, AnExplicitIndexWinsOverTheEnvironment) {
  const Shard s = Parse("2/5", {"4", nullptr, nullptr});
  EXPECT_EQ(s.index, 2);
  EXPECT_EQ(s.count, 5);
}

TEST(Shard, KubernetesGivesTheIndex) {
  EXPECT_EQ(Parse("8", {"7", nullptr, nullptr}).index, 7);
}

TEST(Shard, SlurmGivesTheIndexFromItsFirstTask) {
  EXPECT_EQ(Parse("4", {nullptr, "3", nullptr}).index, 3);
  EXPECT_EQ(Parse("4", {nullptr, "3", "0"}).index, 3);
  // sbatch --array=1-4: tasks 1..4 are shards 0..3.
  EXPECT_EQ(Parse("4", {nullptr, "1", "1"}).index, 0);
  EXPECT_EQ(Parse("4", {nullptr, "4", "1"}).index, 3);
  EXPECT_NE(Error("4", {nullptr, "5", "1"}).find("SLURM_ARRAY_TASK_MIN 1"), std::string::npos);
  EXPECT_NE(Error("4", {nullptr, "2", "x"}).find("not an integer"), std::string::npos);
}

TEST(Shard, AmbiguousOrMissingIndexIsAnError) {
  EXPECT_NE(Error("4", {"1", "1", nullptr}).find("both"), std::string::npos);
  EXPECT_NE(Error("4", {}).find("no index"), std::string::npos);
  Error("4/4", {});
  Error("0/0", {});
  Error("-1/3", {});
  Error("a/3", {});
}

TEST(Shard, EveryRunBelongsToExactlyOneShard) {
  for (int64_t n = 1; n <= 5; ++n)
    for (int64_t k = 0; k < 40; ++k) {
      int owners = 0;
      for (int64_t i = 0; i < n; ++i) owners += Shard{i, n}.Owns(k) ? 1 : 0;
      EXPECT_EQ(owners, 1);
    }
}

}  // namespace
}  // namespace slotsim
