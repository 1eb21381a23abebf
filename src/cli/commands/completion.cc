// `berth completion bash|zsh`: scripts generated from the command tree (docs.h), so a new
// command or flag completes without anyone editing a script. Both shells share the helpers
// that read the words typed so far; each then offers subcommands, flags, or the names of
// containers, images and networks (asked of berthd with `berth ps`/`images`/`network ls`).
#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>

#include "cli/commands/docs.h"

namespace berth::cli {

namespace {

// The argument kinds a usage line names, in order: "NETWORK CONTAINER" -> network, container.
std::vector<std::string> argument_kinds(const std::string& usage) {
    std::vector<std::string> out;
    std::istringstream words(usage);
    std::string w;
    while (words >> w) {
        if (w == "[OPTIONS]" || w == "[COMMAND]" || w == "[ARG...]") continue;
        std::string kind = w.find("CONTAINER") != std::string::npos ? "container"
                           : w.find("IMAGE") != std::string::npos   ? "image"
                           : w.find("NETWORK") != std::string::npos ? "network"
                                                                    : "";
        // A choice of words, "[bash|zsh]": offered as they are.
        if (w.size() > 2 && w.front() == '[' && w.back() == ']' && w.find('|') != std::string::npos &&
            std::none_of(w.begin(), w.end(),
                         [](char ch) { return std::isupper(static_cast<unsigned char>(ch)); })) {
            kind = "words:" + w.substr(1, w.size() - 2);
            std::replace(kind.begin(), kind.end(), '|', ' ');
        }
        if (w.find("...") != std::string::npos && !out.empty() && out.back() == kind) continue;
        out.push_back(kind);
    }
    while (!out.empty() && out.back().empty()) out.pop_back();
    return out;
}

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

std::vector<std::string> flag_names(const FlagDoc& f) {
    std::vector<std::string> out;
    if (!f.short_name.empty()) out.push_back(f.short_name);
    if (!f.long_name.empty()) out.push_back(f.long_name);
    return out;
}

// __berth_sub: the command a word leads to, from each command's children.
void write_sub_helper(std::ostream& o, const std::vector<CommandDoc>& docs) {
    o << "# The command a word leads to from command $1 (\"container\" + \"ls\" -> \"container ls\").\n"
         "__berth_sub() {\n    case \"$1|$2\" in\n";
    for (const auto& d : docs) {
        for (size_t child : d.children) {
            std::string pats;
            for (const auto& n : docs[child].names)
                pats += (pats.empty() ? "" : "|") + std::string("\"") + d.path + "|" + n + "\"";
            o << "        " << pats << ") echo \"" << docs[child].path << "\" ;;\n";
        }
    }
    o << "    esac\n}\n\n";
}

// __berth_takes_value: the flags with a type, so the scanner skips their values.
void write_takes_value_helper(std::ostream& o, const std::vector<CommandDoc>& docs) {
    o << "# Whether flag $2 of command $1 takes a value (global flags on berth itself).\n"
         "__berth_takes_value() {\n    case \"$1|$2\" in\n";
    for (const auto& d : docs) {
        std::string pats;
        for (const auto& f : d.flags)
            if (!f.type.empty())
                for (const auto& n : flag_names(f))
                    pats += (pats.empty() ? "" : "|") + std::string("\"") + d.path + "|" + n + "\"";
        if (!pats.empty()) o << "        " << pats << ") return 0 ;;\n";
    }
    o << "    esac\n    return 1\n}\n\n";
}

// __berth_takes_command: run, exec and the like, after whose first argument nothing is ours.
void write_takes_command_helper(std::ostream& o, const std::vector<CommandDoc>& docs) {
    o << "# Commands whose words after the first argument are the container's command.\n"
         "__berth_takes_command() {\n    case \"$1\" in\n";
    std::string pats;
    for (const auto& d : docs)
        if (d.takes_command) pats += (pats.empty() ? "" : "|") + std::string("\"") + d.path + "\"";
    if (!pats.empty()) o << "        " << pats << ") return 0 ;;\n";
    o << "    esac\n    return 1\n}\n\n";
}

// __berth_kind: what each argument position names, read from the usage line; the last
// position also covers the ones after it.
void write_kind_helper(std::ostream& o, const std::vector<CommandDoc>& docs) {
    o << "# What argument $2 (from 0) of command $1 names: container, image or network.\n"
         "__berth_kind() {\n    case \"$1|$2\" in\n";
    for (const auto& d : docs) {
        auto kinds = argument_kinds(d.usage);
        if (d.path == "help") {  // berth help COMMAND: the commands berth itself has
            std::string words;
            for (size_t child : docs.front().children) words += (words.empty() ? "" : " ") + docs[child].path;
            kinds = {"words:" + words};
        }
        for (size_t i = 0; i < kinds.size(); ++i) {
            if (kinds[i].empty()) continue;
            std::string pat = "\"" + d.path + "|" + (i + 1 < kinds.size() ? std::to_string(i) + "\"" : "\"*");
            o << "        " << pat << ") echo \"" << kinds[i] << "\" ;;\n";
        }
    }
    o << "    esac\n}\n\n";
}

// __berth_values and __berth_scan, the same for every command tree.
void write_fixed_helpers(std::ostream& o) {
    o << "# The names berthd knows of kind $1, through the daemon at $2 (-H) when given.\n"
         "__berth_values() {\n"
         "    case \"$1\" in\n"
         "        words:*) echo \"${1#words:}\" | tr ' ' '\\n' ;;\n"
         "        container) berth ${2:+-H \"$2\"} ps -a --format '{{.Names}}' 2>/dev/null ;;\n"
         "        image) berth ${2:+-H \"$2\"} images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | grep "
         "-v '<none>' ;;\n"
         "        network) berth ${2:+-H \"$2\"} network ls --format '{{.Name}}' 2>/dev/null ;;\n"
         "    esac\n}\n\n"
         "# Reads the words before the cursor (\"$@\"): sets __berth_cmd (the command they name),\n"
         "# __berth_host (-H) and __berth_nargs (arguments given to that command).\n"
         "__berth_scan() {\n"
         "    __berth_cmd=\"\" __berth_host=\"\" __berth_nargs=0\n"
         "    while [ $# -gt 0 ]; do\n"
         "        if [ \"$__berth_nargs\" -gt 0 ] && __berth_takes_command \"$__berth_cmd\"; then return; "
         "fi\n"
         "        case \"$1\" in\n"
         "        -*)\n"
         "            if __berth_takes_value \"$__berth_cmd\" \"$1\"; then\n"
         "                [ \"$2\" = \"=\" ] && shift  # bash splits --flag=value at '='\n"
         "                if [ -z \"$__berth_cmd\" ] && { [ \"$1\" = -H ] || [ \"$1\" = --host ] || [ \"$1\" "
         "= = ]; }; then\n"
         "                    __berth_host=\"$2\"\n"
         "                fi\n"
         "                [ $# -gt 1 ] && shift\n"
         "            fi ;;\n"
         "        *)\n"
         "            __berth_next=$(__berth_sub \"$__berth_cmd\" \"$1\")\n"
         "            if [ -n \"$__berth_next\" ] && [ \"$__berth_nargs\" -eq 0 ]; then\n"
         "                __berth_cmd=$__berth_next\n"
         "            else\n"
         "                __berth_nargs=$((__berth_nargs + 1))\n"
         "            fi ;;\n"
         "        esac\n"
         "        shift\n"
         "    done\n"
         "}\n";
}

// Helpers both shells run: POSIX sh functions over generated case tables.
std::string common_helpers(const std::vector<CommandDoc>& docs) {
    std::ostringstream o;
    write_sub_helper(o, docs);
    write_takes_value_helper(o, docs);
    write_takes_command_helper(o, docs);
    write_kind_helper(o, docs);
    write_fixed_helpers(o);
    return o.str();
}

std::string bash_script(const std::vector<CommandDoc>& docs) {
    std::ostringstream o;
    o << "# bash completion for berth, generated from its command tree: berth completion bash\n"
         "# Install: berth completion bash > /etc/bash_completion.d/berth\n\n"
      << common_helpers(docs)
      << "\n# The subcommands and flags of command $1.\n__berth_words() {\n    case \"$1\" in\n";
    for (const auto& d : docs) {
        std::string subs, flags;
        for (size_t child : d.children)
            for (const auto& n : docs[child].names) subs += (subs.empty() ? "" : " ") + n;
        for (const auto& f : d.flags)
            for (const auto& n : flag_names(f)) flags += (flags.empty() ? "" : " ") + n;
        flags += (flags.empty() ? "" : " ") + std::string("--help");
        o << "        \"" << d.path << "\") __berth_subs=\"" << subs << "\" __berth_flags=\"" << flags
          << "\" ;;\n";
    }
    o << "    esac\n}\n\n"
         "_berth() {\n"
         "    local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n"
         "    local __berth_cmd __berth_host __berth_nargs __berth_next __berth_subs __berth_flags kind\n"
         "    COMPREPLY=()\n"
         "    __berth_scan \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"\n"
         "    if [ \"$__berth_nargs\" -gt 0 ] && __berth_takes_command \"$__berth_cmd\"; then return; fi\n"
         "    [ \"$cur\" = \"=\" ] && cur=\"\"\n"
         "    [ \"$prev\" = \"=\" ] && prev=\"${COMP_WORDS[COMP_CWORD-2]}\"\n"
         "    if [[ $prev == -* ]] && __berth_takes_value \"$__berth_cmd\" \"$prev\"; then return; fi\n"
         "    __berth_words \"$__berth_cmd\"\n"
         "    if [[ $cur == -* ]]; then\n"
         "        COMPREPLY=($(compgen -W \"$__berth_flags\" -- \"$cur\"))\n"
         "    elif [ -n \"$__berth_subs\" ]; then\n"
         "        COMPREPLY=($(compgen -W \"$__berth_subs\" -- \"$cur\"))\n"
         "    else\n"
         "        kind=$(__berth_kind \"$__berth_cmd\" \"$__berth_nargs\")\n"
         "        [ -n \"$kind\" ] && COMPREPLY=($(compgen -W \"$(__berth_values \"$kind\" "
         "\"$__berth_host\")\" -- \"$cur\"))\n"
         "    fi\n"
         "}\n\n"
         "complete -o default -F _berth berth\n";
    return o.str();
}

std::string zsh_script(const std::vector<CommandDoc>& docs) {
    std::ostringstream o;
    o << "#compdef berth\n"
         "# zsh completion for berth, generated from its command tree: berth completion zsh\n"
         "# Install: berth completion zsh > \"${fpath[1]}/_berth\"\n\n"
      << common_helpers(docs)
      << "\n# The subcommands and flags of command $1, as name:description.\n__berth_described() {\n"
         "    case \"$1\" in\n";
    for (const auto& d : docs) {
        std::string subs, flags;
        for (size_t child : d.children)
            subs += " " + shell_quote(docs[child].names.front() + ":" + summary_of(docs[child].description));
        for (const auto& f : d.flags)
            for (const auto& n : flag_names(f))
                flags += " " + shell_quote(n + ":" + summary_of(f.description));
        flags += " " + shell_quote("--help:Print usage");
        o << "        \"" << d.path << "\") __berth_subs=(" << subs << " ) __berth_flags=(" << flags
          << " ) ;;\n";
    }
    o << "    esac\n}\n\n"
         "_berth() {\n"
         "    local __berth_cmd __berth_host __berth_nargs __berth_next kind\n"
         "    local -a __berth_subs __berth_flags values\n"
         "    __berth_scan \"${(@)words[2,CURRENT-1]}\"\n"
         "    if [ \"$__berth_nargs\" -gt 0 ] && __berth_takes_command \"$__berth_cmd\"; then _files; "
         "return; fi\n"
         "    if [[ ${words[CURRENT-1]} == -* ]] && __berth_takes_value \"$__berth_cmd\" "
         "\"${words[CURRENT-1]}\"; then\n"
         "        _files\n"
         "        return\n"
         "    fi\n"
         "    __berth_described \"$__berth_cmd\"\n"
         "    if [[ $PREFIX == -* ]]; then\n"
         "        _describe -t flags flag __berth_flags\n"
         "    elif (( ${#__berth_subs} )); then\n"
         "        _describe -t commands command __berth_subs\n"
         "    else\n"
         "        kind=$(__berth_kind \"$__berth_cmd\" \"$__berth_nargs\")\n"
         "        if [[ -n $kind ]]; then\n"
         "            values=(${(f)\"$(__berth_values \"$kind\" \"$__berth_host\")\"})\n"
         "            compadd -a values\n"
         "        else\n"
         "            _files\n"
         "        fi\n"
         "    fi\n"
         "}\n\n"
         "if [ \"$funcstack[1]\" = \"_berth\" ]; then\n"
         "    _berth \"$@\"\n"
         "else\n"
         "    compdef _berth berth\n"
         "fi\n";
    return o.str();
}

}  // namespace

std::string completion_script(const std::vector<CommandDoc>& docs, const std::string& shell) {
    if (shell == "bash") return bash_script(docs);
    if (shell == "zsh") return zsh_script(docs);
    return "";
}

std::string completion_script(const std::string& shell) {
    return completion_script(full_command_docs(), shell);
}

}  // namespace berth::cli
