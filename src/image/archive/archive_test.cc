// Unit tests for image archives (read/write/changes), hostile archives included: every bad
// archive is refused with an error naming what is wrong, and the store stays intact.
#include "image/archive/archive.h"

#include <archive.h>
#include <archive_entry.h>

#include <gtest/gtest.h>

#include "image/manifest/manifest.h"
#include "support/support.h"

namespace berth::image::archive {
namespace {

using content::Digest;

struct Member {
    std::string name;
    std::string data;
    std::string link;  // symlink target when set
};

std::string make_tar(const std::vector<Member>& members) {
    ::archive* a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    std::string out;
    archive_write_open(
        a, &out, nullptr,
        [](::archive*, void* o, const void* buf, size_t len) -> la_ssize_t {
            static_cast<std::string*>(o)->append(static_cast<const char*>(buf), len);
            return static_cast<la_ssize_t>(len);
        },
        nullptr);
    for (auto& m : members) {
        ::archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, m.name.c_str());
        if (!m.link.empty()) {
            archive_entry_set_filetype(e, AE_IFLNK);
            archive_entry_set_symlink(e, m.link.c_str());
            archive_entry_set_perm(e, 0777);
        } else {
            archive_entry_set_filetype(e, AE_IFREG);
            archive_entry_set_perm(e, 0644);
            archive_entry_set_size(e, static_cast<int64_t>(m.data.size()));
        }
        archive_write_header(a, e);
        if (m.link.empty()) archive_write_data(a, m.data.data(), m.data.size());
        archive_entry_free(e);
    }
    archive_write_close(a);
    archive_write_free(a);
    return out;
}

ReadFn reader(const std::string& data) {
    auto pos = std::make_shared<size_t>(0);
    return [&data, pos](void* buf, size_t len) -> Result<size_t> {
        size_t n = std::min(len, data.size() - *pos);
        memcpy(buf, data.data() + *pos, n);
        *pos += n;
        return n;
    };
}

// A one-layer image: the layer is a tar holding one file.
struct Image {
    std::string layer = make_tar({{"hello.txt", "hello\n"}});
    Digest layer_digest = Digest::of(layer);
    std::string config;
    Digest config_digest;
    Image() {
        Json c = {{"architecture", "amd64"},
                  {"os", "linux"},
                  {"config", {{"Cmd", {"sh"}}}},
                  {"rootfs", {{"type", "layers"}, {"diff_ids", {layer_digest.str()}}}}};
        config = dump_json(c);
        config_digest = Digest::of(config);
    }
    std::string blob(const Digest& d) const { return "blobs/sha256/" + std::string(d.hex()); }
    std::string manifest() const {
        Json m = {{"schemaVersion", 2},
                  {"mediaType", manifest::media_type::kOciManifest},
                  {"config",
                   {{"mediaType", manifest::media_type::kOciConfig},
                    {"digest", config_digest.str()},
                    {"size", config.size()}}},
                  {"layers",
                   {{{"mediaType", manifest::media_type::kOciLayer},
                     {"digest", layer_digest.str()},
                     {"size", layer.size()}}}}};
        return dump_json(m);
    }
};

class ArchiveTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto s = content::Store::open(dir_.path() + "/content");
        ASSERT_TRUE(s) << s.error().str();
        store_.emplace(std::move(*s));
        // An earlier image's blob that no bad archive may disturb.
        auto info = store_->write_blob("precious");
        ASSERT_TRUE(info);
        precious_ = info->digest;
    }
    void ExpectStoreIntact() {
        auto data = store_->read(precious_, true);
        ASSERT_TRUE(data) << data.error().str();
        EXPECT_EQ(*data, "precious");
    }
    Result<ReadResult> read(const std::string& tar, const Limits& limits = {}) {
        return read_archive(reader(tar), *store_, &touched_, limits);
    }

    test::TempDir dir_;
    std::optional<content::Store> store_;
    Digest precious_;
    std::vector<Digest> touched_;
    Image img_;
};

TEST(NormalizeMember, CleansAndRejectsEscapes) {
    EXPECT_EQ(*normalize_member("./a//b/../c"), "a/c");
    EXPECT_FALSE(normalize_member("../etc/passwd"));
    EXPECT_FALSE(normalize_member("/etc/passwd"));
    EXPECT_FALSE(normalize_member("a/../.."));
}

TEST_F(ArchiveTest, DockerArchiveLegacyLayout) {
    std::string manifest = R"([{"Config":")" + std::string(img_.config_digest.hex()) +
                           R"(.json","RepoTags":["busybox:latest"],"Layers":["abc/layer.tar"]}])";
    auto tar = make_tar({{"abc/VERSION", "1.0"},
                         {"abc/layer.tar", img_.layer},
                         {std::string(img_.config_digest.hex()) + ".json", img_.config},
                         {"manifest.json", manifest}});
    auto r = read(tar);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->format, Format::DockerArchive);
    ASSERT_EQ(r->images.size(), 1u);
    EXPECT_EQ(r->images[0].names, std::vector<std::string>{"busybox:latest"});
    EXPECT_EQ(r->images[0].config, img_.config_digest);
    EXPECT_EQ(r->images[0].layers, std::vector<Digest>{img_.layer_digest});
    EXPECT_TRUE(store_->exists(img_.layer_digest));
}

TEST_F(ArchiveTest, DockerArchiveWithSymlinksToBlobs) {
    // docker 25+: legacy paths are symlinks into blobs/sha256.
    std::string manifest = R"([{"Config":"blobs/sha256/)" + std::string(img_.config_digest.hex()) +
                           R"(","RepoTags":null,"Layers":["abc/layer.tar"]}])";
    auto tar = make_tar({{img_.blob(img_.layer_digest), img_.layer},
                         {img_.blob(img_.config_digest), img_.config},
                         {"abc/layer.tar", "", "../" + img_.blob(img_.layer_digest)},
                         {"manifest.json", manifest}});
    auto r = read(tar);
    ASSERT_TRUE(r) << r.error().str();
    ASSERT_EQ(r->images.size(), 1u);
    EXPECT_TRUE(r->images[0].names.empty());
    EXPECT_EQ(r->images[0].layers, std::vector<Digest>{img_.layer_digest});
}

TEST_F(ArchiveTest, OciLayout) {
    std::string manifest = img_.manifest();
    Digest md = Digest::of(manifest);
    Json index = {{"schemaVersion", 2},
                  {"manifests",
                   {{{"mediaType", manifest::media_type::kOciManifest},
                     {"digest", md.str()},
                     {"size", manifest.size()},
                     {"annotations", {{"org.opencontainers.image.ref.name", "example.com/app:1"}}}}}}};
    auto tar = make_tar({{"oci-layout", R"({"imageLayoutVersion":"1.0.0"})"},
                         {img_.blob(img_.layer_digest), img_.layer},
                         {img_.blob(img_.config_digest), img_.config},
                         {img_.blob(md), manifest},
                         {"index.json", dump_json(index)}});
    auto r = read(tar);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->format, Format::OciLayout);
    ASSERT_EQ(r->images.size(), 1u);
    EXPECT_EQ(r->images[0].names, std::vector<std::string>{"example.com/app:1"});
    EXPECT_EQ(*r->images[0].manifest, md);
    EXPECT_EQ(r->images[0].layer_media_types,
              std::vector<std::string>{std::string(manifest::media_type::kOciLayer)});
}

TEST_F(ArchiveTest, RejectsPathEscapeInManifest) {
    std::string manifest = R"([{"Config":"../../etc/passwd","RepoTags":[],"Layers":[]}])";
    auto r = read(make_tar({{"manifest.json", manifest}}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    EXPECT_NE(r.error().str().find("escapes the archive"), std::string::npos) << r.error().str();
    ExpectStoreIntact();
}

TEST_F(ArchiveTest, RejectsMissingLayer) {
    std::string manifest = R"([{"Config":"c.json","RepoTags":[],"Layers":["missing/layer.tar"]}])";
    auto r = read(make_tar({{"c.json", img_.config}, {"manifest.json", manifest}}));
    ASSERT_FALSE(r);
    EXPECT_NE(
        r.error().str().find("manifest.json: [0].Layers[0]: \"missing/layer.tar\" is not in the archive"),
        std::string::npos)
        << r.error().str();
    // What was written before the failure is reported, for the caller to collect.
    EXPECT_EQ(touched_, std::vector<Digest>{img_.config_digest});
    ExpectStoreIntact();
}

TEST_F(ArchiveTest, RejectsMissingOciBlob) {
    std::string manifest = img_.manifest();
    Digest md = Digest::of(manifest);
    Json index = {{"schemaVersion", 2},
                  {"manifests",
                   {{{"mediaType", manifest::media_type::kOciManifest},
                     {"digest", md.str()},
                     {"size", manifest.size()}}}}};
    auto r = read(make_tar({{img_.blob(md), manifest},
                            {img_.blob(img_.config_digest), img_.config},
                            {"index.json", dump_json(index)}}));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("layers[0]: blob " + img_.layer_digest.str() + " is not in the archive"),
              std::string::npos)
        << r.error().str();
}

TEST_F(ArchiveTest, RejectsDigestMismatch) {
    Digest claimed = Digest::of("something else");
    auto r = read(make_tar({{img_.blob(claimed), img_.layer}, {"manifest.json", "[]"}}));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("digest mismatch"), std::string::npos) << r.error().str();
    EXPECT_NE(r.error().str().find(std::string(claimed.hex())), std::string::npos) << r.error().str();
    EXPECT_FALSE(store_->exists(claimed));
    EXPECT_FALSE(store_->exists(img_.layer_digest));
    ExpectStoreIntact();
}

TEST_F(ArchiveTest, RejectsAbsurdSizes) {
    Limits small;
    small.max_metadata = 16;
    auto r = read(make_tar({{"manifest.json", std::string(100, ' ')}}), small);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("manifest.json: 100 bytes is too large"), std::string::npos)
        << r.error().str();

    Limits tiny_blobs;
    tiny_blobs.max_blob = 10;
    r = read(make_tar({{"big/layer.tar", std::string(1000, 'x')}}), tiny_blobs);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("\"big/layer.tar\": size 1000 is larger than the limit"),
              std::string::npos)
        << r.error().str();

    // A header claiming 8 GiB with 3 bytes behind it (size field patched: writing one for
    // real would pad the archive to that size).
    std::string huge = make_tar({{"huge/layer.tar", "abc"}});
    memcpy(&huge[124], "77777777777", 11);
    unsigned sum = 0;
    memset(&huge[148], ' ', 8);
    for (int i = 0; i < 512; ++i) sum += static_cast<unsigned char>(huge[i]);
    snprintf(&huge[148], 8, "%06o", sum);
    Limits gib;
    gib.max_blob = uint64_t{1} << 30;
    r = read(huge, gib);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("\"huge/layer.tar\": size 8589934591 is larger than the limit"),
              std::string::npos)
        << r.error().str();
    r = read(huge);  // within the limit, but the data is not there
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument) << r.error().str();
    ExpectStoreIntact();
}

TEST_F(ArchiveTest, RejectsWhatIsNotAnImageArchive) {
    auto r = read(std::string("this is not a tarball at all, just text"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind(), ErrorKind::InvalidArgument);
    r = read(make_tar({{"hello.txt", "hi"}}));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("neither manifest.json nor index.json"), std::string::npos)
        << r.error().str();
    r = read(make_tar({{"manifest.json", R"({"Config": 1})"}}));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("manifest.json: expected an array"), std::string::npos) << r.error().str();
    r = read(make_tar({{"manifest.json", R"([{"Config": 1, "Layers": []}])"}}));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().str().find("[0].Config: expected a string"), std::string::npos) << r.error().str();
    ExpectStoreIntact();
}

TEST_F(ArchiveTest, WriteThenReadBothWays) {
    std::string manifest = img_.manifest();
    ASSERT_TRUE(store_->write_blob(img_.layer));
    ASSERT_TRUE(store_->write_blob(img_.config));
    auto m = store_->write_blob(manifest);
    ASSERT_TRUE(m);
    SaveImage s;
    s.repo_tags = {"busybox:latest"};
    s.full_tags = {"docker.io/library/busybox:latest"};
    s.manifest = m->digest;
    s.manifest_media_type = std::string(manifest::media_type::kOciManifest);
    s.config = img_.config_digest;
    s.layers = {img_.layer_digest};
    std::string out;
    auto w = write_archive({s}, *store_, [&](std::string_view d) -> Result<> {
        out.append(d);
        return ok();
    });
    ASSERT_TRUE(w) << w.error().str();
    auto r = read(out);
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(r->format, Format::DockerArchive);  // manifest.json wins: it has the tags
    ASSERT_EQ(r->images.size(), 1u);
    EXPECT_EQ(r->images[0].names, std::vector<std::string>{"busybox:latest"});
    EXPECT_EQ(r->images[0].layers, s.layers);
}

TEST(Changes, AppliesDockerfileInstructions) {
    Json cfg = Json::object();
    auto r = apply_changes(cfg, {"CMD [\"/bin/sh\", \"-c\", \"echo hi\"]", "ENTRYPOINT /init --flag",
                                 "ENV A=1 B=\"two words\"", "ENV A=3", "LABEL x=y", "EXPOSE 80 53/udp",
                                 "VOLUME /data", "USER nobody", "WORKDIR /srv", "STOPSIGNAL SIGINT"});
    ASSERT_TRUE(r) << r.error().str();
    EXPECT_EQ(cfg["Cmd"], Json({"/bin/sh", "-c", "echo hi"}));
    EXPECT_EQ(cfg["Entrypoint"], Json({"/bin/sh", "-c", "/init --flag"}));
    EXPECT_EQ(cfg["Env"], Json({"A=3", "B=two words"}));
    EXPECT_EQ(cfg["Labels"]["x"], "y");
    EXPECT_TRUE(cfg["ExposedPorts"].contains("80/tcp"));
    EXPECT_TRUE(cfg["ExposedPorts"].contains("53/udp"));
    EXPECT_TRUE(cfg["Volumes"].contains("/data"));
    EXPECT_EQ(cfg["User"], "nobody");
    EXPECT_EQ(cfg["WorkingDir"], "/srv");
    EXPECT_EQ(cfg["StopSignal"], "SIGINT");

    auto bad = apply_changes(cfg, {"RUN rm -rf /"});
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().str().find("RUN is not a valid change command"), std::string::npos)
        << bad.error().str();
}

}  // namespace
}  // namespace berth::image::archive
