// Executes a parse tree against JSON data, after Go's text/template/exec.go: the same
// evaluation of fields, variables, pipelines and control structures, and the same errors.
#include <optional>
#include <utility>

#include "cli/format/ast.h"
#include "cli/format/functions.h"
#include "cli/format/lexer.h"
#include "cli/format/parser.h"
#include "cli/format/template.h"
#include "cli/format/value.h"

namespace berth::cli::format {

namespace {

enum class Flow { Normal, Break, Continue };

class Exec {
public:
    Exec(std::string_view src, std::string& out, bool header_mode)
        : src_(src), out_(out), header_mode_(header_mode) {}

    Result<> run(const Node& root, const Json& data) {
        Value dot = Value::ref(data);
        vars_.emplace_back("$", dot);
        BERTH_TRY(walk(dot, root));
        return ok();
    }

private:
    Error err(const Node& at, const std::string& msg) const { return err(at.pos, at.source, msg); }
    Error err(size_t pos, const std::string& source, const std::string& msg) const {
        return Error::invalid(position_prefix(src_, pos) + ": executing \"\" at <" + source + ">: " + msg);
    }

    Result<Flow> walk(const Value& dot, const Node& n) {
        switch (n.kind) {
            case NodeKind::List:
                for (const auto& child : n.nodes) {
                    Flow f = BERTH_TRY(walk(dot, *child));
                    if (f != Flow::Normal) return f;
                }
                return Flow::Normal;
            case NodeKind::Text:
                out_ += n.text;
                return Flow::Normal;
            case NodeKind::Action: {
                // Variables declared here persist until the enclosing control's end.
                Value v = BERTH_TRY(eval_pipeline(dot, *n.pipe));
                if (n.pipe->decl.empty()) out_ += go_print(v);
                return Flow::Normal;
            }
            case NodeKind::If:
            case NodeKind::With:
                return walk_if_or_with(dot, n);
            case NodeKind::Range:
                return walk_range(dot, n);
            case NodeKind::Break:
                return Flow::Break;
            case NodeKind::Continue:
                return Flow::Continue;
            default:
                return err(n, "unknown node");
        }
    }

    Result<Flow> walk_if_or_with(const Value& dot, const Node& n) {
        size_t mark = vars_.size();
        Value v = BERTH_TRY(eval_pipeline(dot, *n.pipe));
        Flow f = Flow::Normal;
        if (is_true(v))
            f = BERTH_TRY(walk(n.kind == NodeKind::With ? v : dot, *n.list));
        else if (n.else_list)
            f = BERTH_TRY(walk(dot, *n.else_list));
        vars_.resize(mark);
        return f;
    }

    Result<> set_var(const std::string& name, const Value& v) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it) {
            if (it->first == name) {
                it->second = v;
                return ok();
            }
        }
        return Error::invalid("undefined variable: " + name);
    }

    // One pass of a range body with its variables set; the body's own variables are dropped.
    Result<Flow> iteration(const Node& n, const Value& index, const Value& elem) {
        const auto& decl = n.pipe->decl;
        size_t mark = vars_.size();
        if (!decl.empty()) {
            if (n.pipe->is_assign) {
                BERTH_TRY(set_var(decl[0], decl.size() > 1 ? index : elem));
                if (decl.size() > 1) BERTH_TRY(set_var(decl[1], elem));
            } else {
                vars_[mark - 1].second = elem;  // lexically the last variable
                if (decl.size() > 1) vars_[mark - 2].second = index;
            }
        }
        auto f = walk(elem, *n.list);
        vars_.resize(mark);
        return f;
    }

    Result<Flow> walk_range(const Value& dot, const Node& n) {
        size_t mark = vars_.size();
        Value v = BERTH_TRY(eval_pipeline(dot, *n.pipe));
        bool ran = false;
        const Json& j = v.json();
        auto one = [&](Value index, Value elem) -> Result<bool> {  // false: stop
            ran = true;
            Flow f = BERTH_TRY(iteration(n, index, elem));
            return f != Flow::Break;
        };
        int64_t count = 0;
        if (v.missing() || j.is_null()) {
            // nothing to iterate, like Go's invalid value or a nil slice/map
        } else if (j.is_array()) {
            for (size_t i = 0; i < j.size(); ++i) {
                auto go_on = one(Value::own(Json(static_cast<int64_t>(i))), v.sub(j[i]));
                if (!go_on) return Error(go_on.error());
                if (!*go_on) break;
            }
        } else if (j.is_object()) {
            for (const auto& [k, e] : j.items()) {  // sorted, as Go's fmtsort orders map keys
                auto go_on = one(Value::own(Json(k)), v.sub(e));
                if (!go_on) return Error(go_on.error());
                if (!*go_on) break;
            }
        } else if (as_int64(j, count)) {
            for (int64_t i = 0; i < count; ++i) {
                Value iv = Value::own(Json(i));
                auto go_on = one(iv, iv);
                if (!go_on) return Error(go_on.error());
                if (!*go_on) break;
            }
        } else {
            return err(n.pipe->pos, n.pipe->cmds.back().args[0]->source,
                       "range can't iterate over " + go_print(j));
        }
        if (!ran && n.else_list) {
            auto f = walk(dot, *n.else_list);
            vars_.resize(mark);
            return f;
        }
        vars_.resize(mark);
        return Flow::Normal;
    }
    Result<Value> eval_pipeline(const Value& dot, const Node& pipe) {
        Value v;
        bool have = false;
        for (const auto& cmd : pipe.cmds) {
            v = BERTH_TRY(eval_command(dot, cmd, have ? &v : nullptr));
            have = true;
        }
        for (const auto& name : pipe.decl) {
            if (pipe.is_assign) {
                auto r = set_var(name, v);
                if (!r) return err(pipe.pos, name, r.error().message());
            } else {
                vars_.emplace_back(name, v);
            }
        }
        return v;
    }

    Result<> not_a_function(const Command& cmd, const Value* final) {
        if (cmd.args.size() > 1 || final)
            return err(*cmd.args[0], "can't give argument to non-function " + cmd.args[0]->source);
        return ok();
    }

    Result<Value> eval_command(const Value& dot, const Command& cmd, const Value* final) {
        const Node& first = *cmd.args[0];
        switch (first.kind) {
            case NodeKind::Field:
                return eval_field_chain(dot, first, first.names, cmd, final);
            case NodeKind::Variable: {
                Value v = BERTH_TRY(var_value(first));
                if (first.names.empty()) {
                    BERTH_TRY(not_a_function(cmd, final));
                    return v;
                }
                return eval_field_chain(v, first, first.names, cmd, final);
            }
            case NodeKind::Chain: {
                Value v = BERTH_TRY(eval_arg(dot, *first.operand));
                return eval_field_chain(v, first, first.names, cmd, final);
            }
            case NodeKind::Identifier:
                return eval_function(dot, first, &cmd, final);
            case NodeKind::Pipe:
                BERTH_TRY(not_a_function(cmd, final));
                return eval_pipeline(dot, first);
            case NodeKind::Nil:
                return err(first, "nil is not a command");
            case NodeKind::Dot:
                BERTH_TRY(not_a_function(cmd, final));
                return dot;
            case NodeKind::Literal:
                BERTH_TRY(not_a_function(cmd, final));
                return Value::ref(first.value);
            default:
                return err(first, "can't evaluate command");
        }
    }

    Result<Value> var_value(const Node& n) {
        for (auto it = vars_.rbegin(); it != vars_.rend(); ++it)
            if (it->first == n.ident) return it->second;
        return err(n, "undefined variable: " + n.ident);
    }

    // .A.B.C: every name but the last is a plain lookup; the last may be handed arguments,
    // which a JSON key (never a method) refuses.
    Result<Value> eval_field_chain(Value receiver, const Node& node, const std::vector<std::string>& names,
                                   const Command& cmd, const Value* final) {
        for (size_t i = 0; i < names.size(); ++i) {
            bool last = i + 1 == names.size();
            bool has_args = last && (cmd.args.size() > 1 || final);
            receiver = BERTH_TRY(eval_field(receiver, names[i], node, has_args));
        }
        return receiver;
    }
    Result<Value> eval_field_chain(Value receiver, const Node& node, const std::vector<std::string>& names) {
        for (const auto& name : names) receiver = BERTH_TRY(eval_field(receiver, name, node, false));
        return receiver;
    }

    Result<Value> eval_field(const Value& receiver, const std::string& name, const Node& node,
                             bool has_args) {
        if (receiver.missing()) return Value();
        const Json& j = receiver.json();
        if (j.is_null()) return err(node, "nil pointer evaluating interface {}." + name);
        if (!j.is_object()) return err(node, "can't evaluate field " + name + " in type " + go_type_name(j));
        if (has_args) return err(node, name + " is not a method but has arguments");
        auto it = j.find(name);
        if (it == j.end()) return Value();
        return receiver.sub(*it);
    }

    // An argument of a function: an operand evaluated on its own.
    Result<Value> eval_arg(const Value& dot, const Node& n) {
        switch (n.kind) {
            case NodeKind::Dot:
                return dot;
            case NodeKind::Nil:
                return Value::own(Json());
            case NodeKind::Literal:
                return Value::ref(n.value);
            case NodeKind::Field:
                return eval_field_chain(dot, n, n.names);
            case NodeKind::Variable: {
                Value v = BERTH_TRY(var_value(n));
                return eval_field_chain(v, n, n.names);
            }
            case NodeKind::Pipe:
                return eval_pipeline(dot, n);
            case NodeKind::Identifier:
                return eval_function(dot, n, nullptr, nullptr);
            case NodeKind::Chain: {
                if (n.operand->kind == NodeKind::Nil)
                    return err(n, "indirection through explicit nil in " + n.source);
                Value v = BERTH_TRY(eval_arg(dot, *n.operand));
                return eval_field_chain(v, n, n.names);
            }
            default:
                return err(n, "can't handle argument " + n.source);
        }
    }

    Result<Value> eval_function(const Value& dot, const Node& fn, const Command* cmd, const Value* final) {
        const std::string& name = fn.ident;
        size_t nargs = (cmd ? cmd->args.size() - 1 : 0);
        if (is_short_circuit(name)) {
            if (nargs + (final ? 1 : 0) < 1)
                return err(fn, "wrong number of args for " + name + ": want at least 1 got 0");
            // `and` stops at the first false argument, `or` at the first true one.
            bool is_or = name == "or";
            Value v;
            for (size_t i = 1; cmd && i < cmd->args.size(); ++i) {
                v = BERTH_TRY(eval_arg(dot, *cmd->args[i]));
                if (is_true(v) == is_or) return v;
            }
            if (final) v = *final;
            return v;
        }
        std::vector<Value> args;
        for (size_t i = 1; cmd && i < cmd->args.size(); ++i)
            args.push_back(BERTH_TRY(eval_arg(dot, *cmd->args[i])));
        if (final) args.push_back(*final);
        auto r = call_function(name, args, header_mode_);
        if (!r) return err(fn, r.error().message());
        return r;
    }

    std::string_view src_;
    std::string& out_;
    bool header_mode_;
    std::vector<std::pair<std::string, Value>> vars_;
};

}  // namespace

Result<Template> Template::parse(std::string_view text) {
    Template t;
    t.text_ = std::string(text);
    NodePtr root = BERTH_TRY(parse_template(t.text_));
    t.root_ = std::shared_ptr<const Node>(std::move(root));
    return t;
}

Result<> Template::execute_to(const Json& data, std::string& out, bool header_functions) const {
    if (!root_) return Error::invalid("template: executing an unparsed template");
    return Exec(text_, out, header_functions).run(*root_, data);
}

Result<std::string> Template::execute(const Json& data) const {
    std::string out;
    BERTH_TRY(execute_to(data, out));
    return out;
}

std::string go_print_value(const Json& j) {
    return go_print(j);
}
std::string go_json_value(const Json& j) {
    return go_json(j);
}

}  // namespace berth::cli::format
