// render_table: docker's formatter.Context for list commands (cli/command/formatter): the
// "table" and "json" format keys, the \t and \n escapes, one line per row, and the header
// row rendered from the header-name map with docker's header functions.
#include "cli/format/template.h"

namespace berth::cli::format {

namespace {

constexpr std::string_view kTableKey = "table";

std::string prepare(std::string_view format, bool& table) {
    table = format.substr(0, kTableKey.size()) == kTableKey;
    std::string f;
    if (table)
        f = std::string(format.substr(kTableKey.size()));
    else if (format == "json")
        f = "{{json .}}";
    else
        f = std::string(format);
    size_t b = f.find_first_not_of(' ');
    size_t e = f.find_last_not_of(' ');
    f = b == std::string::npos ? "" : f.substr(b, e - b + 1);
    // strings.NewReplacer(`\t`, "\t", `\n`, "\n"): one left-to-right pass
    std::string out;
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] == '\\' && i + 1 < f.size() && (f[i + 1] == 't' || f[i + 1] == 'n')) {
            out += f[i + 1] == 't' ? '\t' : '\n';
            ++i;
        } else {
            out += f[i];
        }
    }
    return out;
}

}  // namespace

Result<std::string> render_table(std::string_view format, const std::vector<Json>& rows,
                                 const std::map<std::string, std::string>& headers) {
    bool table = false;
    std::string f = prepare(format, table);
    auto tmpl = Template::parse(f);
    if (!tmpl) return Error(tmpl.error()).with_context("template parsing error");
    std::string body;
    for (const auto& row : rows) {
        auto r = tmpl->execute_to(row, body);
        if (!r) return Error(r.error()).with_context("template parsing error");
        body += '\n';
    }
    if (!table) return body;
    Json names = Json::object();
    for (const auto& [field, title] : headers) names[field] = title;
    std::string header;
    // docker ignores a header execution error and keeps what was written before it.
    (void)tmpl->execute_to(names, header, /*header_functions=*/true);  // see above
    return tabwrite(header + "\n" + body);
}

}  // namespace berth::cli::format
