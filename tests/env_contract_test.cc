// Env's disk contract (engine/env.h), the same cases against RealEnv (a
// real directory) and SimEnv (the simulated disk): what each call answers
// on success, on a missing file, on a full disk and on a read error. The
// engine's error handling is written against this contract, so both sides
// must keep it alike.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <memory>

#include "runtime/real_env.h"
#include "sim/simulation.h"

namespace slotsim {
namespace {

// One side of the seam, with the means to make a call fail the way a
// real disk does.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Env& env() = 0;
  // Writes and appends to `name` fail with ENOSPC from now on.
  virtual void FillDiskFor(const std::string& name) = 0;
  // Reading `name` (which must not exist yet) fails with an I/O error.
  virtual void BreakReadsOf(const std::string& name) = 0;
};

class RealBackend : public Backend {
 public:
  RealBackend() {
    dir_ = std::filesystem::temp_directory_path() /
           ("env-contract-" + std::to_string(::getpid()) + "-" + std::to_string(next_++));
    std::filesystem::create_directories(dir_);
    RealEnv::Options o;
    o.data_dir = dir_.string();
    env_ = std::make_unique<RealEnv>(io_, o);
  }
  ~RealBackend() override {
    env_.reset();
    std::filesystem::remove_all(dir_);
  }
  Env& env() override { return *env_; }
  // /dev/full answers every write with ENOSPC, without needing a mount.
  void FillDiskFor(const std::string& name) override {
    std::filesystem::remove(dir_ / name);
    std::filesystem::create_symlink("/dev/full", dir_ / name);
  }
  // read(2) of a directory fails (EISDIR): an error that is not ENOENT.
  void BreakReadsOf(const std::string& name) override {
    std::filesystem::create_directory(dir_ / name);
  }

 private:
  static inline int next_ = 0;
  std::filesystem::path dir_;
  boost::asio::io_context io_;
  std::unique_ptr<RealEnv> env_;
};

class SimBackend : public Backend {
 public:
  SimBackend() : sim_(Options()), machine_(sim_.AddMachine("m")) {}
  Env& env() override { return sim_.env(machine_); }
  void FillDiskFor(const std::string&) override {
    sim_.SetDiskFull(machine_, /*free_bytes=*/0, /*duration_us=*/3'600'000'000);
  }
  void BreakReadsOf(const std::string& name) override {
    // The simulated fault hits existing files only; give it one.
    ASSERT_EQ(env().WriteFile(name, "x"), IoStatus::kOk);
    sim_.SetDiskError(machine_, DiskOp::kRead, 3'600'000'000, /*once=*/false);
  }

 private:
  static SimOptions Options() {
    SimOptions o;
    o.buggify = false;
    return o;
  }
  Simulation sim_;
  int machine_;
};

class EnvContractTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam() == "real") backend_ = std::make_unique<RealBackend>();
    else backend_ = std::make_unique<SimBackend>();
  }
  Env& env() { return backend_->env(); }
  std::string Read(const std::string& name) {
    std::string data = "stale";
    const IoStatus st = env().ReadFile(name, &data);
    return st == IoStatus::kOk ? data : std::string("<") + IoStatusText(st) + ">";
  }
  std::unique_ptr<Backend> backend_;
};

TEST_P(EnvContractTest, CallsFollowPosix) {
  ASSERT_EQ(env().WriteFile("a", "hello"), IoStatus::kOk);
  ASSERT_EQ(env().AppendFile("a", " world"), IoStatus::kOk);
  ASSERT_EQ(env().SyncFile("a"), IoStatus::kOk);
  EXPECT_EQ(Read("a"), "hello world");
  ASSERT_EQ(env().WriteFile("a", "new"), IoStatus::kOk);  // truncates, even after appends
  EXPECT_EQ(Read("a"), "new");
  ASSERT_EQ(env().RenameFile("a", "b"), IoStatus::kOk);
  ASSERT_EQ(env().SyncDir(), IoStatus::kOk);
  EXPECT_EQ(Read("b"), "new");
  ASSERT_EQ(env().AppendFile("b", "+"), IoStatus::kOk);
  EXPECT_EQ(Read("b"), "new+");
  ASSERT_EQ(env().WriteFile("c", ""), IoStatus::kOk);
  EXPECT_EQ(Read("c"), "");  // empty, not missing
}

TEST_P(EnvContractTest, AMissingFileIsNotFoundEverywhere) {
  std::string data = "stale";
  EXPECT_EQ(env().ReadFile("missing", &data), IoStatus::kNotFound);
  EXPECT_EQ(data, "");
  EXPECT_EQ(env().SyncFile("missing"), IoStatus::kNotFound);
  EXPECT_EQ(env().RenameFile("missing", "x"), IoStatus::kNotFound);
  EXPECT_EQ(Read("x"), "<No such file or directory>");
  EXPECT_EQ(env().DeleteFile("missing"), IoStatus::kNotFound);
  ASSERT_EQ(env().WriteFile("d", "1"), IoStatus::kOk);
  EXPECT_EQ(env().DeleteFile("d"), IoStatus::kOk);
  EXPECT_EQ(Read("d"), "<No such file or directory>");
}

TEST_P(EnvContractTest, AFullDiskRefusesWritesAndAppendsWhole) {
  ASSERT_EQ(env().WriteFile("log", "kept"), IoStatus::kOk);
  backend_->FillDiskFor("log");
  EXPECT_EQ(env().AppendFile("log", "more"), IoStatus::kNoSpace);
  EXPECT_EQ(env().WriteFile("log", "replaced"), IoStatus::kNoSpace);
}

TEST_P(EnvContractTest, AnAppendThatFailsAppendsNothing) {
  ASSERT_EQ(env().WriteFile("aof", "*1\r\n$4\r\nPING\r\n"), IoStatus::kOk);
  backend_->FillDiskFor("other");
  if (GetParam() == "sim") {
    // The simulated disk is full for every file: the append fails whole.
    EXPECT_EQ(env().AppendFile("aof", std::string(4096, 'x')), IoStatus::kNoSpace);
    EXPECT_EQ(Read("aof"), "*1\r\n$4\r\nPING\r\n");
  }
  // Real mode: a short write is cut back off with ftruncate (RealEnv); a
  // full filesystem is exercised by tests/realmode (tmpfs with a size).
}

TEST_P(EnvContractTest, AReadErrorIsNotAMissingFileAndReturnsNoPartialData) {
  backend_->BreakReadsOf("nodes.conf");
  std::string data = "stale";
  const IoStatus st = env().ReadFile("nodes.conf", &data);
  EXPECT_NE(st, IoStatus::kOk);
  EXPECT_NE(st, IoStatus::kNotFound);
  EXPECT_EQ(data, "");
}

INSTANTIATE_TEST_SUITE_P(BothSides, EnvContractTest, ::testing::Values("real", "sim"),
                         [](const auto& param_info) { return param_info.param; });

}  // namespace
}  // namespace slotsim
