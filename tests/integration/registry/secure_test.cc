// Registries that need trust or credentials, through berthd and the real docker CLI:
// HTTPS with a CA the test makes (berthd's certs dir, daemon.json "registry-certs-dir"),
// a registry that wants a client certificate, and htpasswd Basic auth with docker login.
#include "common/file.h"
#include "common/strings.h"
#include "integration/registry/fixture.h"

namespace berth::test {
namespace {

// A berthd whose certs dir is a temp dir (never /etc), with <host>/ files copied in.
class CertsDir {
public:
    std::string path() const { return dir_.path() + "/certs.d"; }
    bool put(const std::string& host, const std::string& name, const std::string& from) {
        auto text = read_file(from);
        return text && run_command({"mkdir", "-p", path() + "/" + host}).exit_code == 0 &&
               write_file_atomic(path() + "/" + host + "/" + name, *text);
    }
    void clear(const std::string& host) { run_command({"rm", "-rf", path() + "/" + host}); }
    std::string daemon_json() const { return R"({"registry-certs-dir": ")" + path() + R"("})"; }

private:
    TempDir dir_{"berth-certs"};
};

class SecureRegistryTest : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        ASSERT_TRUE(have_registry_tools()) << "no docker CLI or docker-registry";
        ASSERT_TRUE(ca_.ok);
        ASSERT_TRUE(daemon_.start(certs_.daemon_json()));
    }
    TempDir ca_dir_{"berth-ca"};
    TestCa ca_{ca_dir_.path()};
    CertsDir certs_;
    Daemon daemon_;
};

TEST_F(SecureRegistryTest, HttpsWithTheTestCa) {
    Registry reg({.tls = &ca_});
    ASSERT_TRUE(reg.ready()) << reg.log();
    ASSERT_TRUE(certs_.put(reg.host(), "ca.crt", ca_.ca_crt));
    ASSERT_TRUE(daemon_.load_busybox());
    std::string ref = reg.host() + "/secure/busybox:v1";
    ASSERT_EQ(daemon_.docker({"tag", "busybox", ref}).exit_code, 0);
    auto push = daemon_.docker({"push", ref}, {}, 120);
    ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
    // skopeo, trusting the same CA (a dir holding only ca.crt), sees what berthd pushed.
    auto raw = run_shell("mkdir -p '" + ca_dir_.path() + "/only-ca' && cp '" + ca_.ca_crt + "' '" +
                         ca_dir_.path() + "/only-ca/' && skopeo inspect --cert-dir '" + ca_dir_.path() +
                         "/only-ca' --format '{{.Digest}}' docker://" + ref);
    ASSERT_EQ(raw.exit_code, 0) << raw.err;
    std::string pushed = trim(raw.out);
    EXPECT_NE(push.out.find("digest: " + pushed), std::string::npos) << push.out;

    ASSERT_EQ(daemon_.docker({"rmi", ref}).exit_code, 0);
    ASSERT_EQ(daemon_.docker({"rmi", "busybox"}).exit_code, 0);
    auto before_blobs = store_blobs(daemon_);
    auto before_layers = store_layers(daemon_);

    // A CA that did not sign the server's certificate: a certificate error, nothing stored.
    TempDir other_dir("berth-other-ca");
    TestCa other(other_dir.path());
    ASSERT_TRUE(other.ok);
    certs_.clear(reg.host());
    ASSERT_TRUE(certs_.put(reg.host(), "ca.crt", other.ca_crt));
    auto bad = daemon_.docker({"pull", ref}, {}, 60);
    EXPECT_NE(bad.exit_code, 0) << bad.out;
    EXPECT_NE(bad.err.find("certificate"), std::string::npos) << bad.err;
    // No certificates at all: 127.0.0.1 is then plain HTTP, which the HTTPS server refuses.
    certs_.clear(reg.host());
    auto plain = daemon_.docker({"pull", ref}, {}, 60);
    EXPECT_NE(plain.exit_code, 0) << plain.out;
    EXPECT_NE(plain.err.find("HTTPS"), std::string::npos) << plain.err;
    EXPECT_EQ(store_blobs(daemon_), before_blobs);
    EXPECT_EQ(store_layers(daemon_), before_layers);

    // The right CA again: the pull works and the image runs.
    ASSERT_TRUE(certs_.put(reg.host(), "ca.crt", ca_.ca_crt));
    auto pull = daemon_.docker({"pull", ref}, {}, 120);
    ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
    EXPECT_NE(pull.out.find("Digest: " + pushed), std::string::npos) << pull.out;
    auto run = daemon_.docker({"run", "--rm", ref, "echo", "over-https"}, {}, 60);
    EXPECT_NE(run.out.find("over-https"), std::string::npos) << run.err;
}

TEST_F(SecureRegistryTest, ClientCertificate) {
    Registry reg({.tls = &ca_, .require_client_cert = true});
    ASSERT_TRUE(reg.ready()) << reg.log();
    ASSERT_TRUE(daemon_.load_busybox());
    std::string ref = reg.host() + "/mtls/busybox:v1";
    ASSERT_EQ(daemon_.docker({"tag", "busybox", ref}).exit_code, 0);
    // The CA alone is not enough: the registry asks for a client certificate.
    ASSERT_TRUE(certs_.put(reg.host(), "ca.crt", ca_.ca_crt));
    auto refused = daemon_.docker({"push", ref}, {}, 60);
    EXPECT_NE(refused.exit_code, 0) << refused.out;
    // With client.cert/client.key next to it, push and pull work.
    ASSERT_TRUE(certs_.put(reg.host(), "client.cert", ca_.client_cert));
    ASSERT_TRUE(certs_.put(reg.host(), "client.key", ca_.client_key));
    auto push = daemon_.docker({"push", ref}, {}, 120);
    ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
    ASSERT_EQ(daemon_.docker({"rmi", ref}).exit_code, 0);
    auto pull = daemon_.docker({"pull", ref}, {}, 120);
    EXPECT_EQ(pull.exit_code, 0) << pull.out << pull.err;
}

TEST_F(SecureRegistryTest, BasicAuthWithDockerLogin) {
    Registry reg({.htpasswd_user = "tester", .htpasswd_password = "s3cret-pw"});
    ASSERT_TRUE(reg.ready()) << reg.log();
    TempDir config("berth-docker-config");
    auto wrong = docker_with_config(daemon_, config.path(),
                                    {"login", "-u", "tester", "--password-stdin", reg.host()}, "not-it\n");
    EXPECT_NE(wrong.exit_code, 0) << wrong.out;
    EXPECT_NE(wrong.err.find("unauthorized"), std::string::npos) << wrong.err;
    auto right = docker_with_config(daemon_, config.path(),
                                    {"login", "-u", "tester", "--password-stdin", reg.host()}, "s3cret-pw\n");
    ASSERT_EQ(right.exit_code, 0) << right.err;
    EXPECT_NE(right.out.find("Login Succeeded"), std::string::npos) << right.out;
    EXPECT_TRUE(path_exists(config.path() + "/config.json"));

    ASSERT_TRUE(daemon_.load_busybox());
    std::string ref = reg.host() + "/private/busybox:v1";
    ASSERT_EQ(daemon_.docker({"tag", "busybox", ref}).exit_code, 0);
    auto push = docker_with_config(daemon_, config.path(), {"push", ref}, {}, 120);
    ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
    ASSERT_EQ(daemon_.docker({"rmi", ref}).exit_code, 0);
    ASSERT_EQ(daemon_.docker({"rmi", "busybox"}).exit_code, 0);
    auto before_blobs = store_blobs(daemon_);
    auto before_layers = store_layers(daemon_);

    // Without credentials: refused clearly, nothing stored.
    TempDir anonymous("berth-docker-config");
    auto denied = docker_with_config(daemon_, anonymous.path(), {"pull", ref}, {}, 60);
    EXPECT_NE(denied.exit_code, 0) << denied.out;
    EXPECT_NE(denied.err.find("unauthorized"), std::string::npos) << denied.err;
    EXPECT_EQ(store_blobs(daemon_), before_blobs);
    EXPECT_EQ(store_layers(daemon_), before_layers);
    EXPECT_NE(daemon_.docker({"image", "inspect", ref}).exit_code, 0);

    // With them: the pull works and the image runs.
    auto pull = docker_with_config(daemon_, config.path(), {"pull", ref}, {}, 120);
    ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
    auto run = daemon_.docker({"run", "--rm", ref, "echo", "authorized"}, {}, 60);
    EXPECT_NE(run.out.find("authorized"), std::string::npos) << run.err;
}

}  // namespace
}  // namespace berth::test
