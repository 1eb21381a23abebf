// Internal: the parse tree of a template, shaped like Go's text/template/parse nodes.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/json.h"

namespace berth::cli::format {

enum class NodeKind {
    // operands
    Field,       // .A.B            (names = {A, B})
    Variable,    // $x.A            (ident = "$x", names = {A})
    Chain,       // (pipe).A        (operand + names)
    Identifier,  // function name   (ident)
    Dot,         // .
    Nil,         // nil
    Literal,     // string, number or bool constant (value)
    Pipe,        // parenthesised pipeline, also the pipeline of actions
    // statements
    List,
    Text,
    Action,
    If,
    Range,
    With,
    Break,
    Continue,
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Command {
    size_t pos = 0;
    std::vector<NodePtr> args;  // args[0] is the function or the operand
};

struct Node {
    NodeKind kind;
    size_t pos = 0;
    std::string source;  // the operand's text as written, for error messages ("<.A.B>")

    std::string ident;               // Variable, Identifier
    std::vector<std::string> names;  // Field, Variable, Chain
    NodePtr operand;                 // Chain
    Json value;                      // Literal
    std::string text;                // Text

    // Pipe: declarations ($x :=, $i, $e :=) or assignment ($x =), then commands.
    std::vector<std::string> decl;
    bool is_assign = false;
    std::vector<Command> cmds;

    // List
    std::vector<NodePtr> nodes;

    // Action / If / Range / With
    NodePtr pipe;
    NodePtr list;
    NodePtr else_list;

    explicit Node(NodeKind k, size_t p = 0) : kind(k), pos(p) {}
};

}  // namespace berth::cli::format
