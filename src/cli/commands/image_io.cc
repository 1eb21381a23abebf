// load, save, import, export: tar streams between files/stdio and the daemon.
#include <fcntl.h>
#include <unistd.h>

#include "cli/commands/context.h"
#include "cli/commands/progress.h"
#include "common/fd.h"
#include "common/file.h"

namespace berth::cli {

Result<> display_json_messages(Context& ctx, client::Stream& s) {
    ProgressRenderer out(progress_output(ctx, /*to_stderr=*/false));
    return render_stream(s, out);
}

namespace {

Result<> copy_stream_to_fd(client::Stream& s, int fd) {
    for (;;) {
        std::string d = BERTH_TRY(s.read());
        if (d.empty()) return ok();
        BERTH_TRY(write_all(fd, d, "output"));
    }
}

// GET a tar stream into -o FILE (written to a temp file then renamed, as docker does) or
// stdout, refusing a terminal.
int download(Context& ctx, const std::string& path, const client::Query& q, const std::string& output) {
    if (output.empty() && ::isatty(ctx.io.out_fd))
        return ctx.fail("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    auto s = ctx.client().stream("GET", path, q);
    if (!s) return ctx.fail(s.error());
    if (output.empty()) {
        if (!ctx.io.real_stdio) {  // tests: capture through the ostream
            for (;;) {
                auto d = s->read();
                if (!d) return ctx.fail(d.error());
                if (d->empty()) return 0;
                write_out(ctx, *d);
            }
        }
        ctx.io.out.flush();
        auto r = copy_stream_to_fd(*s, ctx.io.out_fd);
        return r ? 0 : ctx.fail(r.error());
    }
    std::string tmp = output + ".berth-tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd) return ctx.fail("failed to save image: " + Error::sys("open", tmp).str());
    auto r = copy_stream_to_fd(*s, fd.get());
    if (r && ::fsync(fd.get()) != 0) r = Error::sys("fsync", tmp);
    fd.reset();
    if (r && ::rename(tmp.c_str(), output.c_str()) != 0) r = Error::sys("rename", output);
    if (!r) {
        (void)::unlink(tmp.c_str());  // failing anyway: the save error is the one to report
        return ctx.fail("failed to save image: " + r.error().str());
    }
    return 0;
}

int cmd_load(Context& ctx, const std::string& input, bool quiet) {
    UniqueFd file;
    int fd = ctx.io.in_fd;
    if (!input.empty()) {
        file.reset(::open(input.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) return ctx.fail(Error::sys("open", input).str());
        fd = file.get();
    } else if (::isatty(fd)) {
        return ctx.fail("requested load from stdin, but stdin is empty");
    }
    client::Query q;
    q.add_if(quiet, "quiet", "1");
    auto s = ctx.client().stream("POST", "/images/load", q, {}, fd, "application/x-tar");
    if (!s) return ctx.fail(s.error());
    if (s->header("content-type") == "application/json") {
        auto r = display_json_messages(ctx, *s);
        if (!r) return ctx.fail(r.error().message());
        return 0;
    }
    for (;;) {
        auto d = s->read();
        if (!d) return ctx.fail(d.error());
        if (d->empty()) return 0;
        write_out(ctx, *d);
    }
}

struct ImportOpts {
    std::vector<std::string> changes;
    std::string message, platform;
};

int cmd_import(Context& ctx, const ImportOpts& o, const std::vector<std::string>& args) {
    const std::string& src = args[0];
    client::Query q;
    UniqueFd file;
    int fd = -1;
    if (src == "-") {
        q.add("fromSrc", "-");
        fd = ctx.io.in_fd;
    } else if (src.rfind("http://", 0) == 0 || src.rfind("https://", 0) == 0) {
        q.add("fromSrc", src);
    } else {
        file.reset(::open(src.c_str(), O_RDONLY | O_CLOEXEC));
        if (!file) return ctx.fail(Error::sys("open", src).str());
        q.add("fromSrc", "-");
        fd = file.get();
    }
    if (args.size() > 1) {
        const std::string& ref = args[1];
        auto colon = ref.rfind(':');
        auto slash = ref.rfind('/');
        if (colon != std::string::npos && (slash == std::string::npos || colon > slash)) {
            q.add("repo", ref.substr(0, colon)).add("tag", ref.substr(colon + 1));
        } else {
            q.add("repo", ref);
        }
    }
    q.add_if(!o.message.empty(), "message", o.message);
    q.add_if(!o.platform.empty(), "platform", o.platform);
    for (const auto& c : o.changes) q.add("changes", c);
    auto s = fd >= 0 ? ctx.client().stream("POST", "/images/create", q, {}, fd, "application/x-tar")
                     : ctx.client().stream("POST", "/images/create", q);
    if (!s) return ctx.fail(s.error());
    auto r = display_json_messages(ctx, *s);
    if (!r) return ctx.fail(r.error().message());
    return 0;
}

}  // namespace

void add_image_io_commands(Context& ctx, CLI::App& root, CLI::App* image, CLI::App* container) {
    for (CLI::App* parent : {&root, image}) {
        auto input = std::make_shared<std::string>();
        auto quiet = std::make_shared<bool>(false);
        auto platform = std::make_shared<std::vector<std::string>>();
        Cmd(ctx, parent, "load", "Load an image from a tar archive or STDIN", "[OPTIONS]", 0, 0)
            .also_known_as(parent == image ? "berth load" : "berth image load")
            .str("-i,--input", *input, "Read from tar archive file, instead of STDIN")
            .strs("--platform", *platform, "Load only the given platform(s).", "stringSlice")
            .flag("-q,--quiet", *quiet, "Suppress the load output")
            .action([&ctx, input, quiet](const auto&) { return cmd_load(ctx, *input, *quiet); });

        auto output = std::make_shared<std::string>();
        auto splat = std::make_shared<std::vector<std::string>>();
        Cmd(ctx, parent, "save", "Save one or more images to a tar archive (streamed to STDOUT by default)",
            "[OPTIONS] IMAGE [IMAGE...]", 1, -1)
            .also_known_as(parent == image ? "berth save" : "berth image save")
            .str("-o,--output", *output, "Write to a file, instead of STDOUT")
            .strs("--platform", *splat, "Save only the given platform(s).", "stringSlice")
            .action([&ctx, output](const auto& a) {
                client::Query q;
                for (const auto& n : a) q.add("names", n);
                return download(ctx, "/images/get", q, *output);
            });

        auto io = std::make_shared<ImportOpts>();
        Cmd(ctx, parent, "import", "Import the contents from a tarball to create a filesystem image",
            "[OPTIONS] file|URL|- [REPOSITORY[:TAG]]", 1, 2)
            .also_known_as(parent == image ? "berth import" : "berth image import")
            .strs("-c,--change", io->changes, "Apply Dockerfile instruction to the created image")
            .str("-m,--message", io->message, "Set commit message for imported image")
            .str("--platform", io->platform, "Set platform if server is multi-platform capable")
            .action([&ctx, io](const auto& a) { return cmd_import(ctx, *io, a); });
    }
    for (CLI::App* parent : {&root, container}) {
        auto output = std::make_shared<std::string>();
        Cmd(ctx, parent, "export", "Export a container's filesystem as a tar archive", "[OPTIONS] CONTAINER",
            1, 1)
            .also_known_as(parent == container ? "berth export" : "berth container export")
            .str("-o,--output", *output, "Write to a file, instead of STDOUT")
            .action([&ctx, output](const auto& a) {
                return download(ctx, "/containers/" + a[0] + "/export", {}, *output);
            });
    }
}

}  // namespace berth::cli
