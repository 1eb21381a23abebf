// berth's registry commands against a berthd and Debian's docker-registry on 127.0.0.1:
// login/logout with htpasswd Basic auth (credentials in a temp BERTH_CONFIG), push and pull
// with X-Registry-Auth, run's implicit pull, pull -q, plain progress when not a terminal,
// search's error on a registry without search, and the real docker CLI's output beside ours.
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <sstream>

#include "common/file.h"
#include "common/json.h"
#include "common/strings.h"
#include "support/daemon.h"
#include "support/registry.h"
#include "support/support.h"

namespace berth::test {
namespace {

const char* kDocker = "/usr/local/bin/docker";
const char* kRegistry = "/usr/bin/docker-registry";

std::vector<std::string> lines_of(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    for (std::string l; std::getline(in, l);) out.push_back(l);
    return out;
}

// The last n lines of an output.
std::vector<std::string> tail(const std::string& s, size_t n) {
    auto l = lines_of(s);
    return std::vector<std::string>(l.end() - static_cast<long>(std::min(n, l.size())), l.end());
}

// "v1: digest: sha256:... size: 527" -> "sha256:..."
std::string pushed_digest(const std::string& out) {
    auto at = out.find(": digest: ");
    if (at == std::string::npos) return "";
    auto start = at + 10;
    return out.substr(start, out.find(' ', start) - start);
}

class RegistryCli : public ::testing::Test {
protected:
    void SetUp() override {
        BERTH_REQUIRE_ROOT();
        ASSERT_EQ(::access(kRegistry, X_OK), 0) << "no docker-registry (scripts/setup installs it)";
        ASSERT_TRUE(daemon_.start());
    }
    // berth with its own config dir and an empty docker one (root's ~/.docker never read).
    CommandResult berth(std::vector<std::string> args, const std::string& input = {}, int timeout = 120) {
        std::vector<std::string> argv = {"/usr/bin/env",
                                         "BERTH_CONFIG=" + config_.path(),
                                         "DOCKER_CONFIG=" + docker_config_.path(),
                                         binary("berth"),
                                         "-H",
                                         daemon_.host()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, input, timeout);
    }
    // The docker CLI reading the config.json berth wrote.
    CommandResult docker(std::vector<std::string> args, const std::string& input = {}, int timeout = 120) {
        std::vector<std::string> argv = {"/usr/bin/env", "DOCKER_CONFIG=" + config_.path(), kDocker, "-H",
                                         daemon_.host()};
        argv.insert(argv.end(), args.begin(), args.end());
        return run_command(argv, input, timeout);
    }
    std::string config_file() const { return config_.path() + "/config.json"; }

    Daemon daemon_;
    TempDir config_{"berth-cli-config"};
    TempDir docker_config_{"berth-cli-docker-config"};
};

TEST_F(RegistryCli, LoginPushPullLogoutWithBasicAuth) {
    Registry reg({.htpasswd_user = "tester", .htpasswd_password = "s3cret-pw"});
    ASSERT_TRUE(reg.ready()) << reg.log();
    ASSERT_TRUE(daemon_.load_busybox());

    auto wrong = berth({"login", "-u", "tester", "--password-stdin", reg.host()}, "not-it\n");
    EXPECT_EQ(wrong.exit_code, 1) << wrong.out;
    EXPECT_NE(wrong.err.find("unauthorized"), std::string::npos) << wrong.err;
    EXPECT_EQ(wrong.out, "");
    EXPECT_FALSE(path_exists(config_file()));

    auto login = berth({"login", "-u", "tester", "--password-stdin", reg.host()}, "s3cret-pw\n");
    ASSERT_EQ(login.exit_code, 0) << login.err;
    EXPECT_EQ(login.out, "Login Succeeded\n");
    struct stat st;
    ASSERT_EQ(::stat(config_file().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    auto cfg = parse_json(read_file(config_file()).value_or(""));
    ASSERT_TRUE(cfg);
    // base64("tester:s3cret-pw")
    EXPECT_EQ((*cfg)["auths"][reg.host()]["auth"], "dGVzdGVyOnMzY3JldC1wdw==") << cfg->dump();

    std::string ref = reg.host() + "/private/bb:v1";
    ASSERT_EQ(berth({"tag", "busybox", ref}).exit_code, 0);
    auto push = berth({"push", ref});
    ASSERT_EQ(push.exit_code, 0) << push.out << push.err;
    EXPECT_NE(push.out.find("The push refers to repository [" + reg.host() + "/private/bb]"),
              std::string::npos)
        << push.out;
    EXPECT_NE(push.out.find(": Pushed\n"), std::string::npos) << push.out;
    EXPECT_EQ(push.out.find('\x1b'), std::string::npos) << "escapes without a terminal";
    std::string digest = pushed_digest(push.out);
    ASSERT_FALSE(digest.empty()) << push.out;
    auto sk = run_command({"skopeo", "inspect", "--tls-verify=false", "--creds", "tester:s3cret-pw",
                           "--format", "{{.Digest}}", "docker://" + ref});
    EXPECT_EQ(trim(sk.out), digest) << sk.err;

    // Pull it back: plain progress lines, each status once, and docker's final lines.
    ASSERT_EQ(berth({"rmi", ref}).exit_code, 0);
    ASSERT_EQ(berth({"rmi", "busybox"}).exit_code, 0);
    auto pull = berth({"pull", ref});
    ASSERT_EQ(pull.exit_code, 0) << pull.out << pull.err;
    EXPECT_EQ(pull.out.find('\x1b'), std::string::npos);
    EXPECT_EQ(pull.out.find("Downloading"), std::string::npos) << "no byte counts in plain output";
    std::set<std::string> seen;
    for (const auto& l : lines_of(pull.out)) EXPECT_TRUE(seen.insert(l).second) << "repeated: " << l;
    EXPECT_NE(pull.out.find(": Pull complete\n"), std::string::npos) << pull.out;
    EXPECT_EQ(tail(pull.out, 3), (std::vector<std::string>{
                                     "Digest: " + digest, "Status: Downloaded newer image for " + ref, ref}));

    // The docker CLI reads berth's config.json and prints the same final lines.
    ASSERT_EQ(berth({"rmi", ref}).exit_code, 0);
    auto dpull = docker({"pull", ref});
    ASSERT_EQ(dpull.exit_code, 0) << dpull.out << dpull.err;
    EXPECT_EQ(tail(dpull.out, 3), tail(pull.out, 3));
    auto dpullq = docker({"pull", "-q", ref});
    auto pullq = berth({"pull", "-q", ref});
    EXPECT_EQ(pullq.exit_code, 0) << pullq.err;
    EXPECT_EQ(pullq.out, ref + "\n");
    EXPECT_EQ(pullq.out, dpullq.out);

    // run's implicit pull goes to stderr, with the credentials.
    ASSERT_EQ(berth({"rmi", ref}).exit_code, 0);
    auto run = berth({"run", "--rm", ref, "echo", "authorized"});
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_EQ(run.out, "authorized\n");
    EXPECT_NE(run.err.find("Unable to find image '" + ref + "' locally"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("Status: Downloaded newer image for " + ref), std::string::npos) << run.err;

    auto logout = berth({"logout", reg.host()});
    EXPECT_EQ(logout.exit_code, 0);
    EXPECT_EQ(logout.out, "Removing login credentials for " + reg.host() + "\n");
    EXPECT_EQ(berth({"logout", reg.host()}).out, "Not logged in to " + reg.host() + "\n");

    ASSERT_EQ(berth({"rmi", ref}).exit_code, 0);
    auto denied = berth({"pull", ref});
    EXPECT_EQ(denied.exit_code, 1) << denied.out;
    EXPECT_NE(denied.err.find("unauthorized"), std::string::npos) << denied.err;
    EXPECT_NE(berth({"image", "inspect", ref}).exit_code, 0);
    auto run_denied = berth({"run", "--rm", ref, "true"});
    EXPECT_EQ(run_denied.exit_code, 125);
    EXPECT_NE(run_denied.err.find("unauthorized"), std::string::npos) << run_denied.err;
}

TEST_F(RegistryCli, PushQuietAndDigestsLikeDocker) {
    Registry reg;
    ASSERT_TRUE(reg.ready()) << reg.log();
    ASSERT_TRUE(daemon_.load_busybox());
    std::string ref = reg.host() + "/open/bb";
    ASSERT_EQ(berth({"tag", "busybox", ref}).exit_code, 0);
    auto push = berth({"image", "push", "-q", ref});
    ASSERT_EQ(push.exit_code, 0) << push.err;
    auto dpush = docker({"push", "-q", ref});
    EXPECT_EQ(push.out, dpush.out);
    EXPECT_EQ(push.out, ref + ":latest\n");
    std::string digest = skopeo_digest(ref + ":latest");
    ASSERT_FALSE(digest.empty());
    auto loud = berth({"push", ref});
    EXPECT_EQ(loud.exit_code, 0) << loud.err;
    EXPECT_EQ(lines_of(loud.out).front(), "Using default tag: latest");
    EXPECT_EQ(pushed_digest(loud.out), digest) << loud.out;
    EXPECT_NE(loud.out.find("Layer already exists"), std::string::npos) << loud.out;

    // Pull by digest.
    ASSERT_EQ(berth({"rmi", ref}).exit_code, 0);
    auto bydigest = berth({"pull", ref + "@" + digest});
    EXPECT_EQ(bydigest.exit_code, 0) << bydigest.err;
    EXPECT_EQ(tail(bydigest.out, 1), std::vector<std::string>{ref + "@" + digest});
}

TEST_F(RegistryCli, SearchAndLoginErrorsAreClear) {
    Registry reg;
    ASSERT_TRUE(reg.ready()) << reg.log();
    auto search = berth({"search", reg.host() + "/busybox"});
    EXPECT_EQ(search.exit_code, 1);
    EXPECT_NE(search.err.find("does not support search"), std::string::npos) << search.err;
    EXPECT_EQ(search.out, "");
    EXPECT_NE(docker({"search", reg.host() + "/busybox"}).exit_code, 0);

    // A registry that is not there: login fails and stores nothing.
    auto nobody = berth({"login", "-u", "a", "--password-stdin", "127.0.0.1:1"}, "b\n");
    EXPECT_EQ(nobody.exit_code, 1);
    EXPECT_NE(nobody.err.find("Error response from daemon"), std::string::npos) << nobody.err;
    EXPECT_FALSE(path_exists(config_file()));

    // A malformed config.json is named, not overwritten.
    ASSERT_TRUE(write_file_atomic(config_file(), "{\"auths\":"));
    auto bad = berth({"login", "-u", "a", "--password-stdin", reg.host()}, "b\n");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.err.find(config_file()), std::string::npos) << bad.err;
    EXPECT_EQ(read_file(config_file()).value_or(""), "{\"auths\":");
}

}  // namespace
}  // namespace berth::test
