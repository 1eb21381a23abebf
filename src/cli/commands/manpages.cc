// berth's man pages, generated from the command tree (docs.h): berth(1), one page per
// group (berth-container(1)) and per command (berth-container-ls(1)), as docker's are.
#include <sstream>

#include "cli/commands/docs.h"
#include "common/strings.h"
#include "common/version.h"

namespace berth::cli {

namespace {

// Text safe for roff: backslashes and hyphens escaped, no line starting with a request.
std::string roff(const std::string& text) {
    std::string out;
    bool line_start = true;
    for (char c : text) {
        if (line_start && (c == '.' || c == '\'')) out += "\\&";
        line_start = c == '\n';
        if (c == '\\')
            out += "\\e";
        else if (c == '-')
            out += "\\-";
        else
            out += c;
    }
    return out;
}

// Each line of a multi-line text on a line of its own, as help prints it.
std::string roff_lines(const std::string& text) {
    std::string out;
    for (const auto& line : split(text, '\n')) out += (out.empty() ? "" : "\n.br\n") + roff(line);
    return out;
}

std::string page_name(const std::string& path) {
    std::string name = path.empty() ? "berth" : "berth-";
    for (char c : path) name += c == ' ' ? '-' : c;
    return name;
}

std::string title_case(std::string s) {
    for (auto& c : s) c = static_cast<char>(toupper(static_cast<unsigned char>(c)));
    return s;
}

std::string page(const CommandDoc& d, const std::vector<CommandDoc>& all) {
    std::ostringstream o;
    std::string name = page_name(d.path);
    std::string full = d.path.empty() ? "berth" : "berth " + d.path;
    std::string summary = d.description.substr(0, d.description.find('\n'));
    o << ".TH \"" << title_case(roff(name)) << "\" 1 \"\" \"Berth " << berth_version()
      << "\" \"Berth Manual\"\n"
      << ".SH NAME\n"
      << roff(name) << " \\- " << roff(summary) << "\n"
      << ".SH SYNOPSIS\n"
      << ".B " << roff(full) << "\n";
    if (d.path.empty())
        o << "[OPTIONS] COMMAND\n";
    else if (d.group)
        o << "COMMAND\n";
    else if (!d.usage.empty())
        o << roff(d.usage) << "\n";
    o << ".SH DESCRIPTION\n" << roff_lines(d.description) << "\n";
    if (d.names.size() > 1) {
        o << ".PP\nAliases:";
        for (size_t i = 1; i < d.names.size(); ++i) o << (i > 1 ? "," : "") << " " << roff(d.names[i]);
        o << "\n";
    }
    if (!d.flags.empty()) {
        o << (d.path.empty() ? ".SH GLOBAL OPTIONS\n" : ".SH OPTIONS\n");
        for (const auto& f : d.flags) {
            o << ".TP\n\\fB";
            if (!f.short_name.empty()) o << roff(f.short_name) << (f.long_name.empty() ? "" : ", ");
            o << roff(f.long_name) << "\\fR";
            if (!f.type.empty()) o << " \\fI" << roff(f.type) << "\\fR";
            o << "\n" << roff_lines(f.description) << "\n";
        }
    }
    if (!d.children.empty()) {
        o << ".SH COMMANDS\n";
        for (size_t child : d.children) {
            const CommandDoc& c = all[child];
            std::string cs = c.description.substr(0, c.description.find('\n'));
            o << ".TP\n\\fB" << roff(page_name(c.path)) << "\\fR(1)\n" << roff(cs) << "\n";
        }
    }
    o << ".SH SEE ALSO\n";
    if (d.path.empty())
        o << "\\fBberthd\\fR(8)\n";
    else {
        std::string parent =
            d.path.rfind(' ') == std::string::npos ? "" : d.path.substr(0, d.path.rfind(' '));
        o << "\\fB" << roff(page_name(parent)) << "\\fR(1)\n";
    }
    return o.str();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> man_pages() {
    auto docs = full_command_docs();
    std::vector<std::pair<std::string, std::string>> pages;
    for (const auto& d : docs) pages.emplace_back(page_name(d.path) + ".1", page(d, docs));
    return pages;
}

}  // namespace berth::cli
