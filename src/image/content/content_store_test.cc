// Content store: verified writes, nothing unverified visible, concurrency, crash cleanup.
#include "image/content/content_store.h"

#include <dirent.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "common/file.h"
#include "support/support.h"

namespace berth::image::content {
namespace {

std::vector<std::string> dir_entries(const std::string& dir) {
    std::vector<std::string> out;
    if (DIR* d = ::opendir(dir.c_str())) {
        while (struct dirent* e = ::readdir(d)) {
            std::string n = e->d_name;
            if (n != "." && n != "..") out.push_back(n);
        }
        ::closedir(d);
    }
    return out;
}

TEST(Digest, ParseAndHash) {
    // sha256("abc"), from FIPS 180-2.
    EXPECT_EQ(Digest::of("abc").str(),
              "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(Digest::of("").str(),
              "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    auto d = Digest::parse("sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->short_id(), "ba7816bf8f01");
    EXPECT_EQ(d->algorithm(), "sha256");
    EXPECT_FALSE(Digest::parse("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    EXPECT_FALSE(Digest::parse("sha256:abc"));
    EXPECT_FALSE(Digest::parse("md5:ba7816bf8f01cfea414140de5dae2223"));
    EXPECT_FALSE(Digest::parse("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    EXPECT_FALSE(Digest::parse(""));
    Sha256 h;
    h.update("a");
    h.update("bc");
    EXPECT_EQ(h.finish(), Digest::of("abc"));
}

TEST(ContentStore, WriteReadInfoListRemove) {
    test::TempDir dir("berth-content");
    auto store = Store::open(dir.path() + "/c");
    ASSERT_TRUE(store) << store.error().str();
    std::string data(100000, 'x');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 7);
    auto w = store->writer(Digest::of(data), static_cast<int64_t>(data.size()));
    ASSERT_TRUE(w) << w.error().str();
    for (size_t off = 0; off < data.size(); off += 4096) ASSERT_TRUE(w->write(data.substr(off, 4096)));
    EXPECT_EQ(w->written(), static_cast<int64_t>(data.size()));
    auto info = w->commit();
    ASSERT_TRUE(info) << info.error().str();
    EXPECT_EQ(info->digest, Digest::of(data));
    EXPECT_EQ(info->size, static_cast<int64_t>(data.size()));
    EXPECT_TRUE(store->exists(info->digest));
    auto back = store->read(info->digest, /*verify=*/true);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, data);
    EXPECT_EQ(store->info(info->digest)->size, static_cast<int64_t>(data.size()));
    EXPECT_TRUE(path_exists(dir.path() + "/c/blobs/sha256/" + std::string(info->digest.hex())));
    EXPECT_TRUE(dir_entries(dir.path() + "/c/ingest").empty());

    auto small = store->write_blob("{}");
    ASSERT_TRUE(small);
    auto all = store->list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 2u);
    EXPECT_LT((*all)[0].digest, (*all)[1].digest);

    ASSERT_TRUE(store->remove(info->digest));
    EXPECT_FALSE(store->exists(info->digest));
    auto gone = store->read(info->digest);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(store->remove(info->digest).error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(store->info(info->digest).error().kind(), ErrorKind::NotFound);
}

TEST(ContentStore, DigestMismatchLeavesNothing) {
    test::TempDir dir("berth-content");
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    Digest want = Digest::of("good content");
    auto w = store->writer(want);
    ASSERT_TRUE(w);
    ASSERT_TRUE(w->write("evil content"));
    auto r = w->commit();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_EQ(r.error().str(),
              "digest mismatch: expected " + want.str() + ", got " + Digest::of("evil content").str());
    EXPECT_FALSE(store->exists(want));
    EXPECT_FALSE(store->exists(Digest::of("evil content")));
    EXPECT_TRUE(dir_entries(dir.path() + "/blobs/sha256").empty());
    EXPECT_TRUE(dir_entries(dir.path() + "/ingest").empty());
    EXPECT_FALSE(w->commit());  // finished
}

TEST(ContentStore, SizeMismatch) {
    test::TempDir dir("berth-content");
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    {
        auto w = store->writer(std::nullopt, 10);
        ASSERT_TRUE(w);
        ASSERT_TRUE(w->write("short"));
        auto r = w->commit();
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().str(), "size mismatch: expected 10, got 5");
    }
    {
        auto w = store->writer(std::nullopt, 3);
        ASSERT_TRUE(w);
        auto r = w->write("too long");
        ASSERT_FALSE(r);
        EXPECT_NE(r.error().str().find("size mismatch"), std::string::npos);
        EXPECT_FALSE(w->commit());
    }
    EXPECT_FALSE(store->writer(std::nullopt, -1));
    EXPECT_TRUE(dir_entries(dir.path() + "/blobs/sha256").empty());
    EXPECT_TRUE(dir_entries(dir.path() + "/ingest").empty());
}

TEST(ContentStore, AbortOnDestruction) {
    test::TempDir dir("berth-content");
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    {
        auto w = store->writer();
        ASSERT_TRUE(w);
        ASSERT_TRUE(w->write("partial"));
        EXPECT_EQ(dir_entries(dir.path() + "/ingest").size(), 1u);
        Writer moved = std::move(*w);  // ownership moves; only one abort happens
    }
    EXPECT_TRUE(dir_entries(dir.path() + "/ingest").empty());
    EXPECT_TRUE(dir_entries(dir.path() + "/blobs/sha256").empty());
}

TEST(ContentStore, ConcurrentWritersOfTheSameBlob) {
    test::TempDir dir("berth-content");
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    std::string data(256 * 1024, 'q');
    Digest want = Digest::of(data);
    constexpr int kWriters = 8;
    std::vector<std::string> errors(kWriters);
    std::vector<std::thread> threads;
    for (int t = 0; t < kWriters; ++t) {
        threads.emplace_back([&, t] {
            auto w = store->writer(want, static_cast<int64_t>(data.size()));
            if (!w) return void(errors[t] = w.error().str());
            for (size_t off = 0; off < data.size(); off += 1000) {
                if (auto r = w->write(data.substr(off, 1000)); !r) return void(errors[t] = r.error().str());
                // While writers race, the blob is either absent or complete.
                if (store->exists(want) && store->info(want)->size != static_cast<int64_t>(data.size()))
                    return void(errors[t] = "partial blob visible");
            }
            if (auto r = w->commit(); !r) errors[t] = r.error().str();
        });
    }
    for (auto& t : threads) t.join();
    for (const auto& e : errors) EXPECT_EQ(e, "");
    auto back = store->read(want, true);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, data);
    EXPECT_EQ(dir_entries(dir.path() + "/blobs/sha256").size(), 1u);
    EXPECT_TRUE(dir_entries(dir.path() + "/ingest").empty());
}

TEST(ContentStore, CrashLeftoversRemovedOnReopenLiveWritersKept) {
    test::TempDir dir("berth-content");
    {
        auto store = Store::open(dir.path());
        ASSERT_TRUE(store);
    }
    // A writer in a child process killed mid-write: its temp file stays behind, unlocked.
    int sync_pipe[2];
    ASSERT_EQ(::pipe(sync_pipe), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        auto store = Store::open(dir.path());
        if (!store) ::_exit(1);
        auto w = store->writer();
        if (!w || !w->write("half a layer")) ::_exit(1);
        (void)!::write(sync_pipe[1], "x", 1);
        ::pause();
        ::_exit(0);
    }
    char c;
    ASSERT_EQ(::read(sync_pipe[0], &c, 1), 1);
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    ::close(sync_pipe[0]);
    ::close(sync_pipe[1]);
    EXPECT_EQ(dir_entries(dir.path() + "/ingest").size(), 1u);
    // Debris of some other kind, too.
    ASSERT_TRUE(write_file_atomic(dir.path() + "/ingest/garbage", "junk"));

    // A live writer in this process holds its lock; reopening must not touch its file.
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    auto live = store->writer();
    ASSERT_TRUE(live);
    ASSERT_TRUE(live->write("in progress"));
    auto reopened = Store::open(dir.path());
    ASSERT_TRUE(reopened) << reopened.error().str();
    auto left = dir_entries(dir.path() + "/ingest");
    ASSERT_EQ(left.size(), 1u);
    EXPECT_EQ(left[0].substr(0, 8), "unknown-");
    auto info = live->commit();
    ASSERT_TRUE(info) << info.error().str();
    EXPECT_EQ(*reopened->read(info->digest), "in progress");
    EXPECT_TRUE(dir_entries(dir.path() + "/ingest").empty());
    EXPECT_TRUE(dir_entries(dir.path() + "/blobs/sha256").size() == 1u);
}

TEST(ContentStore, WalkSkipsForeignFilesAndStopsOnError) {
    test::TempDir dir("berth-content");
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->write_blob("one"));
    ASSERT_TRUE(store->write_blob("two"));
    ASSERT_TRUE(write_file_atomic(dir.path() + "/blobs/sha256/not-a-digest", "x"));
    int seen = 0;
    auto r = store->walk([&](const Info&) -> Result<> {
        ++seen;
        return Error::internal("stop");
    });
    EXPECT_FALSE(r);
    EXPECT_EQ(seen, 1);
    EXPECT_EQ(store->list()->size(), 2u);
    EXPECT_FALSE(Store::open("relative/path"));
}

}  // namespace
}  // namespace berth::image::content
