#include "sim/disk.h"

#include <gtest/gtest.h>

namespace slotsim {
namespace {

TEST(SimDisk, UnsyncedContentsAreLostOnCrash) {
  SimDisk d;
  d.Write("f", "hello", 0);
  d.SyncFile("f");
  d.SyncDir();
  d.Append("f", " world", 0);
  EXPECT_EQ(*d.Read("f"), "hello world");
  d.Crash();
  EXPECT_EQ(*d.Read("f"), "hello");
}

TEST(SimDisk, NewFileNeedsDirSync) {
  SimDisk d;
  d.Write("new", "data", 0);
  d.SyncFile("new");  // contents durable, the name is not
  d.Crash();
  EXPECT_FALSE(d.Read("new").has_value());
}

TEST(SimDisk, FileWithoutContentSyncIsEmptyAfterCrash) {
  SimDisk d;
  d.Write("f", "data", 0);
  d.SyncDir();
  d.Crash();
  ASSERT_TRUE(d.Read("f").has_value());
  EXPECT_EQ(*d.Read("f"), "");
}

// The nodes.conf protocol: write temp, fsync, rename, fsync dir.
TEST(SimDisk, AtomicReplaceByRename) {
  SimDisk d;
  d.Write("nodes.conf", "v1", 0);
  d.SyncFile("nodes.conf");
  d.SyncDir();

  d.Write("nodes.conf.tmp", "v2", 0);
  d.SyncFile("nodes.conf.tmp");
  d.Rename("nodes.conf.tmp", "nodes.conf");
  EXPECT_EQ(*d.Read("nodes.conf"), "v2");
  // Crash before the directory sync: the old version is back, intact.
  SimDisk before_dir_sync = d;
  before_dir_sync.Crash();
  EXPECT_EQ(*before_dir_sync.Read("nodes.conf"), "v1");

  d.SyncDir();
  d.Crash();
  EXPECT_EQ(*d.Read("nodes.conf"), "v2");
  EXPECT_FALSE(d.Read("nodes.conf.tmp").has_value());
}

// Every unsynced nodes.conf save replaces the file by rename: the old
// contents must be freed once no name reaches them, or a 200-node
// formation keeps every save it ever made (issue 16).
TEST(SimDisk, ReplacedFilesAreFreedButTheDurableOneIsKept) {
  SimDisk d;
  d.Write("nodes.conf", "v0", 0);
  d.SyncFile("nodes.conf");
  d.SyncDir();
  for (int i = 1; i <= 1000; ++i) {
    d.Write("nodes.conf.tmp", "v" + std::to_string(i), 0);
    d.SyncFile("nodes.conf.tmp");
    d.Rename("nodes.conf.tmp", "nodes.conf");
  }
  EXPECT_LE(d.inode_count(), 2u);  // the live file, and the durable one
  EXPECT_EQ(*d.Read("nodes.conf"), "v1000");
  d.Crash();
  EXPECT_EQ(*d.Read("nodes.conf"), "v0");
  EXPECT_EQ(d.inode_count(), 1u);
}

// A sync keeps a prefix of the file (appends after it are what a crash
// drops), until a rewrite replaces the synced bytes themselves.
TEST(SimDisk, RewritesAndAppendsAfterASyncAreLostButTheSyncedBytesAreNot) {
  SimDisk d;
  d.Write("aof", "abc", 0);
  d.SyncFile("aof");
  d.SyncDir();
  d.Append("aof", "def", 5);
  auto unsynced = d.UnsyncedFiles();
  ASSERT_EQ(unsynced.size(), 1u);
  EXPECT_EQ(unsynced[0].bytes, 3);
  EXPECT_EQ(unsynced[0].since_us, 5);
  d.Write("aof", "xyzxyz", 6);  // a rewrite: "abc" must survive a crash
  d.Append("aof", "!", 7);
  unsynced = d.UnsyncedFiles();
  ASSERT_EQ(unsynced.size(), 1u);
  EXPECT_EQ(unsynced[0].bytes, 0);  // not an extension of what is synced
  SimDisk crashed = d;
  crashed.Crash();
  EXPECT_EQ(*crashed.Read("aof"), "abc");
  d.SyncFile("aof");
  EXPECT_TRUE(d.UnsyncedFiles().empty());
  d.Append("aof", "?", 8);
  d.Crash();
  EXPECT_EQ(*d.Read("aof"), "xyzxyz!");
  EXPECT_TRUE(d.UnsyncedFiles().empty());
}

TEST(SimDisk, RenameWithoutContentSyncLosesData) {
  SimDisk d;
  d.Write("tmp", "v2", 0);
  d.Rename("tmp", "conf");  // the classic bug: no fsync before rename
  d.SyncDir();
  d.Crash();
  EXPECT_EQ(*d.Read("conf"), "");
}

TEST(SimDisk, DeleteNeedsDirSync) {
  SimDisk d;
  d.Write("f", "x", 0);
  d.SyncFile("f");
  d.SyncDir();
  d.Delete("f");
  EXPECT_FALSE(d.Read("f").has_value());
  d.Crash();
  EXPECT_TRUE(d.Read("f").has_value());
}

}  // namespace
}  // namespace slotsim
