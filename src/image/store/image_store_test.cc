// Image store: add/tag/untag/resolve/remove, layer refcounts and GC, schema versioning, and
// crash safety under SIGKILL in the middle of a batch of add_image calls.
#include "image/store/image_store.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>
#include <string>

#include <gtest/gtest.h>

#include "common/sqlite.h"
#include "image/manifest/manifest.h"
#include "support/support.h"

namespace berth::image::store {
namespace {

reference::Reference norm_ref(const std::string& s) {
    auto r = reference::parse_normalized(s);
    EXPECT_TRUE(r) << s;
    return r->with_default_tag();
}

Digest blob(const std::string& s) {
    return Digest::of(s);
}

// An image whose config is `name`, stacked on the given layer contents.
NewImage make_image(const std::string& name, const std::vector<std::string>& layers,
                    std::vector<std::string> tags = {}) {
    NewImage img;
    img.image.id = blob("config:" + name);
    img.image.manifest_digest = blob("manifest:" + name);
    img.image.media_type = std::string(manifest::media_type::kOciManifest);
    img.image.platform = "linux/amd64";
    img.image.created = 1700000000;
    for (const auto& l : layers) {
        img.layers.push_back(LayerRecord{blob("diff:" + l), static_cast<int64_t>(l.size() * 100)});
        img.image.size += static_cast<int64_t>(l.size() * 100);
        img.blobs.push_back(blob("gzip:" + l));
    }
    img.blobs.push_back(img.image.id);
    img.blobs.push_back(img.image.manifest_digest);
    for (const auto& t : tags) img.tags.push_back(norm_ref(t));
    return img;
}

class ImageStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = ImageStore::open(dir_.path() + "/berth.db");
        ASSERT_TRUE(s) << s.error().str();
        store_.emplace(std::move(*s));
    }
    void TearDown() override {
        if (store_) {
            auto c = store_->check();
            EXPECT_TRUE(c) << c.error().str();
        }
    }
    test::TempDir dir_{"berth-imgstore"};
    std::optional<ImageStore> store_;
};

TEST_F(ImageStoreTest, AddGetListLayers) {
    auto img = make_image("a", {"base", "mid", "top"}, {"busybox", "localhost:5000/x/y:1"});
    img.repo_digests.push_back(
        *norm_ref("busybox").repository().with_digest(img.image.manifest_digest.str()));
    auto added = store_->add_image(img);
    ASSERT_TRUE(added) << added.error().str();
    EXPECT_TRUE(*added);
    EXPECT_FALSE(*store_->add_image(img));  // idempotent: refcounts untouched

    auto info = store_->get(img.image.id);
    ASSERT_TRUE(info) << info.error().str();
    EXPECT_EQ(info->image.manifest_digest, img.image.manifest_digest);
    EXPECT_EQ(info->image.platform, "linux/amd64");
    EXPECT_GT(info->image.added, 0);
    EXPECT_EQ(info->tags,
              (std::vector<std::string>{"docker.io/library/busybox:latest", "localhost:5000/x/y:1"}));
    EXPECT_EQ(info->repo_digests,
              std::vector<std::string>{"docker.io/library/busybox@" + img.image.manifest_digest.str()});

    auto layers = store_->layers(img.image.id);
    ASSERT_TRUE(layers);
    ASSERT_EQ(layers->size(), 3u);
    auto chain = manifest::chain_ids({blob("diff:base"), blob("diff:mid"), blob("diff:top")});
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ((*layers)[i].chain_id, chain[i]);
        EXPECT_EQ((*layers)[i].refcount, 1);
        EXPECT_EQ((*layers)[i].parent, i == 0 ? Digest() : chain[i - 1]);
    }
    auto all = store_->list();
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 1u);
    EXPECT_EQ((*all)[0].tags.size(), 2u);
    EXPECT_EQ(store_->get(blob("nope")).error().kind(), ErrorKind::NotFound);
    EXPECT_TRUE(*store_->blob_referenced(blob("gzip:mid")));
    EXPECT_FALSE(*store_->blob_referenced(blob("gzip:other")));
}

TEST_F(ImageStoreTest, TagRetagUntag) {
    auto a = make_image("a", {"l1"}, {"app:1"});
    auto b = make_image("b", {"l2"});
    ASSERT_TRUE(store_->add_image(a));
    ASSERT_TRUE(store_->add_image(b));
    EXPECT_EQ(*store_->resolve("app:1"), a.image.id);

    auto moved = store_->tag(norm_ref("app:1"), b.image.id);  // retag moves the name
    ASSERT_TRUE(moved) << moved.error().str();
    ASSERT_TRUE(moved->has_value());
    EXPECT_EQ(**moved, a.image.id);
    EXPECT_EQ(*store_->resolve("app:1"), b.image.id);
    EXPECT_TRUE(store_->get(a.image.id)->tags.empty());
    EXPECT_FALSE(store_->tag(norm_ref("app:1"), b.image.id)->has_value());  // same image: no move

    ASSERT_TRUE(store_->tag(norm_ref("app"), a.image.id));
    EXPECT_EQ(*store_->resolve("app"), a.image.id);
    EXPECT_EQ(*store_->resolve("docker.io/library/app:latest"), a.image.id);
    auto untagged = store_->untag(*reference::parse_normalized("app"));
    ASSERT_TRUE(untagged);
    EXPECT_EQ(*untagged, a.image.id);
    auto gone = store_->resolve("app");
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(gone.error().str(), "No such image: app");
    EXPECT_EQ(store_->untag(norm_ref("app")).error().kind(), ErrorKind::NotFound);

    EXPECT_EQ(store_->tag(norm_ref("x:1"), blob("missing")).error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(store_->tag(*reference::parse_normalized("x"), a.image.id).error().kind(),
              ErrorKind::InvalidArgument);  // no tag
    // The image survives losing all its tags (a dangling <none> image, as in Docker).
    EXPECT_TRUE(store_->get(a.image.id));
}

TEST_F(ImageStoreTest, ResolveByIdPrefixAndAmbiguity) {
    // Find two images whose IDs share a first hex digit, and one that does not share it.
    std::vector<NewImage> imgs;
    for (int i = 0; i < 40; ++i)
        imgs.push_back(make_image("img" + std::to_string(i), {"l" + std::to_string(i)}));
    for (const auto& i : imgs) ASSERT_TRUE(store_->add_image(i));
    const NewImage* x = nullptr;
    const NewImage* y = nullptr;
    for (size_t i = 0; i < imgs.size() && !x; ++i)
        for (size_t j = i + 1; j < imgs.size(); ++j)
            if (imgs[i].image.id.hex()[0] == imgs[j].image.id.hex()[0]) x = &imgs[i], y = &imgs[j];
    ASSERT_TRUE(x && y);
    std::string shared(x->image.id.hex().substr(0, 1));
    auto amb = store_->resolve(shared);
    ASSERT_FALSE(amb);
    EXPECT_EQ(amb.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(amb.error().str().find("ambiguous"), std::string::npos);

    std::string full(x->image.id.hex());
    EXPECT_EQ(*store_->resolve(full), x->image.id);
    EXPECT_EQ(*store_->resolve(x->image.id.str()), x->image.id);
    EXPECT_EQ(*store_->resolve(full.substr(0, 12)), x->image.id);
    EXPECT_EQ(*store_->resolve("sha256:" + full.substr(0, 12)), x->image.id);
    EXPECT_EQ(store_->resolve(std::string(64, '0')).error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(store_->resolve("Bad Name").error().kind(), ErrorKind::InvalidArgument);

    // A name wins over an ID prefix spelled the same.
    ASSERT_TRUE(store_->tag(norm_ref(full.substr(0, 12)), y->image.id));
    EXPECT_EQ(*store_->resolve(full.substr(0, 12)), y->image.id);
    // Repo digests resolve name@digest.
    NewImage z = *y;
    z.repo_digests.push_back(*norm_ref("app").repository().with_digest(z.image.manifest_digest.str()));
    ASSERT_TRUE(store_->add_image(z));
    EXPECT_EQ(*store_->resolve("app@" + z.image.manifest_digest.str()), y->image.id);
    EXPECT_EQ(*store_->resolve("app:v1@" + z.image.manifest_digest.str()), y->image.id);
}

TEST_F(ImageStoreTest, RemoveReturnsGarbageSharedLayersKept) {
    auto a = make_image("a", {"base", "a1"}, {"a"});
    auto b = make_image("b", {"base", "b1", "b2"}, {"b"});
    ASSERT_TRUE(store_->add_image(a));
    ASSERT_TRUE(store_->add_image(b));
    auto base_chain = manifest::chain_ids({blob("diff:base")})[0];
    EXPECT_EQ((*store_->layer(base_chain))->refcount, 2);

    auto g = store_->remove_image(a.image.id);
    ASSERT_TRUE(g) << g.error().str();
    ASSERT_EQ(g->layers.size(), 1u);  // a1 only; base still used by b
    EXPECT_EQ(g->layers[0].diff_id, blob("diff:a1"));
    std::set<Digest> blobs(g->blobs.begin(), g->blobs.end());
    EXPECT_EQ(blobs, (std::set<Digest>{blob("gzip:a1"), a.image.id, a.image.manifest_digest}));
    EXPECT_EQ((*store_->layer(base_chain))->refcount, 1);
    EXPECT_EQ(store_->resolve("a").error().kind(), ErrorKind::NotFound);
    EXPECT_EQ(store_->remove_image(a.image.id).error().kind(), ErrorKind::NotFound);

    auto g2 = store_->remove_image(b.image.id);
    ASSERT_TRUE(g2);
    ASSERT_EQ(g2->layers.size(), 3u);  // top first
    EXPECT_EQ(g2->layers[0].diff_id, blob("diff:b2"));
    EXPECT_EQ(g2->layers[2].chain_id, base_chain);
    EXPECT_EQ(g2->blobs.size(), 5u);
    EXPECT_FALSE(*store_->layer(base_chain));
    EXPECT_TRUE(store_->list()->empty());
}

TEST_F(ImageStoreTest, SchemaVersionAndReopen) {
    ASSERT_TRUE(store_->add_image(make_image("a", {"x"}, {"keep"})));
    store_.reset();
    {
        auto db = sql::Db::open(dir_.path() + "/berth.db");
        ASSERT_TRUE(db);
        EXPECT_EQ(*(*db)->query_int("PRAGMA user_version"), kSchemaVersion);
        auto mode = (*db)->prepare("PRAGMA journal_mode");
        ASSERT_TRUE(mode);
        ASSERT_TRUE(*mode->step());
        EXPECT_EQ(mode->text(0), "wal");  // WAL is persistent: set once by open()
    }
    auto again = ImageStore::open(dir_.path() + "/berth.db");
    ASSERT_TRUE(again);
    EXPECT_TRUE(again->resolve("keep"));
    store_.emplace(std::move(*again));
    {
        auto db = sql::Db::open(dir_.path() + "/future.db");
        ASSERT_TRUE(db);
        ASSERT_TRUE((*db)->exec("PRAGMA user_version = 99"));
    }
    auto future = ImageStore::open(dir_.path() + "/future.db");
    ASSERT_FALSE(future);
    EXPECT_EQ(future.error().kind(), ErrorKind::Unsupported);
}

TEST_F(ImageStoreTest, SigkillDuringAddImageBatchLeavesWholeImages) {
    constexpr int kImages = 400;
    auto image_n = [](int i) {
        // Every image shares "base" and has two layers of its own, plus two tags.
        return make_image(
            "crash" + std::to_string(i), {"base", "m" + std::to_string(i), "t" + std::to_string(i)},
            {"crash:" + std::to_string(i), "crash" + std::to_string(i % 7) + ":x" + std::to_string(i)});
    };
    store_.reset();
    int progress[2];
    ASSERT_EQ(::pipe(progress), 0);
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
        ::close(progress[0]);
        auto s = ImageStore::open(dir_.path() + "/berth.db");
        if (!s) ::_exit(2);
        for (int i = 0; i < kImages; ++i) {
            if (!s->add_image(image_n(i))) ::_exit(3);
            (void)!::write(progress[1], "x", 1);
        }
        ::_exit(0);
    }
    ::close(progress[1]);
    // Let a few dozen commits through, then kill it wherever it is (usually inside a
    // transaction, as commits and their fsyncs dominate the loop).
    char buf[64];
    int done = 0;
    while (done < 30) {
        ssize_t n = ::read(progress[0], buf, sizeof buf);
        if (n <= 0) break;
        done += static_cast<int>(n);
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ::close(progress[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child finished before the kill (status " << status << ")";

    auto s = ImageStore::open(dir_.path() + "/berth.db");
    ASSERT_TRUE(s) << s.error().str();
    auto check = s->check();
    ASSERT_TRUE(check) << check.error().str();
    int present = 0;
    for (int i = 0; i < kImages; ++i) {
        NewImage img = image_n(i);
        auto info = s->get(img.image.id);
        if (!info) {
            ASSERT_EQ(info.error().kind(), ErrorKind::NotFound);
            EXPECT_FALSE(s->resolve("crash:" + std::to_string(i))) << i;
            continue;
        }
        ++present;
        EXPECT_EQ(info->tags.size(), 2u) << i;
        auto layers = s->layers(img.image.id);
        ASSERT_TRUE(layers);
        EXPECT_EQ(layers->size(), 3u) << i;
        for (const auto& b : img.blobs) EXPECT_TRUE(*s->blob_referenced(b)) << i;
    }
    EXPECT_GE(present, done);
    EXPECT_LT(present, kImages);
    auto base = s->layer(manifest::chain_ids({blob("diff:base")})[0]);
    ASSERT_TRUE(base);
    ASSERT_TRUE(base->has_value());
    EXPECT_EQ((*base)->refcount, present);
    store_.emplace(std::move(*s));  // TearDown re-checks
}

}  // namespace
}  // namespace berth::image::store
