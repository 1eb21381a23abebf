// Table-driven tests of the --format engine: Go text/template semantics, docker's functions
// and table output, Go's value printing, and the errors users see.
#include "cli/format/template.h"

#include <gtest/gtest.h>

namespace berth::cli::format {
namespace {

struct Case {
    const char* tmpl;
    const char* data;
    const char* want;
};

Json data(const char* text) {
    auto j = parse_json(text);
    EXPECT_TRUE(j) << text;
    return j ? *j : Json();
}

std::string run(const char* tmpl, const char* json) {
    auto t = Template::parse(tmpl);
    if (!t) return "PARSE ERROR: " + t.error().str();
    auto out = t->execute(data(json));
    if (!out) return "EXEC ERROR: " + out.error().str();
    return *out;
}

void check(const std::vector<Case>& cases) {
    for (const auto& c : cases) EXPECT_EQ(run(c.tmpl, c.data), c.want) << "template: " << c.tmpl;
}

const char* kContainer = R"({
  "ID": "3f2a1b0c9d8e", "Names": "web", "Name": "web", "Args": ["a", "b", "c"],
  "State": {"Status": "running", "Pid": 1234, "Running": true, "Health": null},
  "Config": {"Labels": {"com.example.x": "1", "z": "y"}, "Env": []},
  "Mounts": [{"Source": "/a", "Destination": "/x"}, {"Source": "/b", "Destination": "/y"}]
})";

TEST(TemplateTest, DockerExamples) {
    check({
        {"{{.ID}}\t{{.Names}}", kContainer, "3f2a1b0c9d8e\tweb"},
        {"{{json .Config.Labels}}", kContainer, R"({"com.example.x":"1","z":"y"})"},
        {"{{json .State}}", kContainer, R"({"Health":null,"Pid":1234,"Running":true,"Status":"running"})"},
        {"{{range .Mounts}}{{.Source}} {{end}}", kContainer, "/a /b "},
        {R"({{index .Config.Labels "com.example.x"}})", kContainer, "1"},
        {R"({{join .Args ","}})", kContainer, "a,b,c"},
        {"{{.State.Status}}", kContainer, "running"},
        {R"({{if eq .State.Status "running"}}up{{else}}down{{end}})", kContainer, "up"},
        {R"({{if eq .State.Status "running"}}up{{else}}down{{end}})", R"({"State":{"Status":"exited"}})",
         "down"},
        {"{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", R"({"Labels":{"b":"2","a":"1"}})", "a=1;b=2;"},
        {R"({{printf "%-10s|" .Name}})", kContainer, "web       |"},
        {"x {{- .A -}} y", R"({"A":1})", "x1y"},
        {"{{.State.Pid}}", kContainer, "1234"},
        {"{{(index .Mounts 1).Source}}", kContainer, "/b"},
    });
}

TEST(TemplateTest, JsonIsGoEncodingWithoutHtmlEscaping) {
    check({
        {"{{json .}}", R"({"b":1,"a":"<x>&"})", R"({"a":"<x>&","b":1})"},
        {"{{json .}}", R"({"f":1.0,"g":1e21,"h":0.0000001,"i":123456789.0,"j":-2.5})",
         R"({"f":1,"g":1e+21,"h":1e-7,"i":123456789,"j":-2.5})"},
        {"{{json .S}}", R"({"S":"a\"b\\c\n\u0001\u2028é"})", R"("a\"b\\c\n\u0001\u2028é")"},
        {"{{json .Missing}}", "{}", "null"},
        {"{{json .L}}", R"({"L":[1,"x",null,true,{}]})", R"([1,"x",null,true,{}])"},
    });
}

TEST(TemplateTest, PrintsValuesLikeGo) {
    check({
        {"{{.}}", R"("raw")", "raw"},
        {"{{.N}}", R"({"N":42})", "42"},
        {"{{.N}}", R"({"N":-7})", "-7"},
        {"{{.F}}", R"({"F":1.5})", "1.5"},
        {"{{.F}}", R"({"F":1000000.0})", "1e+06"},
        {"{{.F}}", R"({"F":123456.0})", "123456"},
        {"{{.F}}", R"({"F":0.00001})", "1e-05"},
        {"{{.F}}", R"({"F":0.0001})", "0.0001"},
        {"{{.B}}", R"({"B":true})", "true"},
        {"{{.Z}}", R"({"Z":null})", "<nil>"},
        {"{{.L}}", R"({"L":[1,"a",null,[2,3]]})", "[1 a <nil> [2 3]]"},
        {"{{.}}", R"({"b":1,"a":[1,2],"c":{"d":"e"}})", "map[a:[1 2] b:1 c:map[d:e]]"},
        {"{{.Missing}}", "{}", "<no value>"},
        {"{{.Missing.Deeper}}", "{}", "<no value>"},
        {"{{.Config.Labels.nope}}", kContainer, "<no value>"},
    });
}

TEST(TemplateTest, VariablesAndScopes) {
    check({
        {"{{$x := .Name}}{{$x}}", kContainer, "web"},
        {"{{$x := 1}}{{range .Args}}{{$x = .}}{{end}}{{$x}}", kContainer, "c"},
        {"{{range $i, $e := .Args}}{{$i}}:{{$e}} {{end}}", kContainer, "0:a 1:b 2:c "},
        {"{{range $e := .Args}}{{$e}}{{end}}", kContainer, "abc"},
        {"{{range .Args}}{{$.Name}}{{end}}", kContainer, "webwebweb"},
        {"{{with .State}}{{$s := .Status}}{{$s}}{{end}}", kContainer, "running"},
        {"{{$}}", R"("top")", "top"},
        {"{{range $v := .M}}{{$v}}{{end}}", R"({"M":{"b":2,"a":1}})", "12"},
        {"{{$a := .Args}}{{index $a 2}}", kContainer, "c"},
        {"{{$s := .State}}{{$s.Status}}", kContainer, "running"},
    });
}

TEST(TemplateTest, ControlStructures) {
    const char* chain = "{{if eq .N 1}}one{{else if eq .N 2}}two{{else}}many{{end}}";
    check({
        {chain, R"({"N":1})", "one"},
        {chain, R"({"N":2})", "two"},
        {chain, R"({"N":5})", "many"},
        {"{{if .Missing}}y{{else}}n{{end}}", "{}", "n"},
        {"{{if .L}}y{{else}}n{{end}}", R"({"L":[]})", "n"},
        {"{{if .S}}y{{else}}n{{end}}", R"({"S":"x"})", "y"},
        {"{{if .Z}}y{{else}}n{{end}}", R"({"Z":0.0})", "n"},
        {"{{with .State}}{{.Status}}{{else}}none{{end}}", kContainer, "running"},
        {"{{with .Nope}}x{{else}}none{{end}}", kContainer, "none"},
        {"{{with .A}}a{{else with .B}}{{.}}{{else}}none{{end}}", R"({"B":"bee"})", "bee"},
        {"{{range .Empty}}x{{else}}none{{end}}", R"({"Empty":[]})", "none"},
        {"{{range .Missing}}x{{else}}none{{end}}", "{}", "none"},
        {"{{range .Z}}x{{else}}none{{end}}", R"({"Z":null})", "none"},
        {"{{range 3}}{{.}}{{end}}", "{}", "012"},
        {R"({{range .Args}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}})", kContainer, "a"},
        {R"({{range .Args}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}})", kContainer, "ac"},
        {"{{range .Args -}}\n  {{.}}\n{{- end}}", kContainer, "abc"},
        {"a{{/* comment */}}b", "{}", "ab"},
        {"a {{- /* comment */ -}} b", "{}", "ab"},
        {"{{if and .State.Running (gt .State.Pid 0)}}live{{end}}", kContainer, "live"},
    });
}

TEST(TemplateTest, PipelinesAndLiterals) {
    check({
        {"{{.Name | upper}}", kContainer, "WEB"},
        {R"({{.Name | printf "%s-x"}})", kContainer, "web-x"},
        {R"({{.Name | printf "%s-%s" "a"}})", kContainer, "a-web"},
        {R"({{split .S "-" | len}})", R"({"S":"a-b-c"})", "3"},
        {R"({{len (split .S "-")}})", R"({"S":"a-b-c"})", "3"},
        {R"({{"q\"s\t"}})", "{}", "q\"s\t"},
        {"{{`r\\n`}}", "{}", "r\\n"},
        {"{{1}} {{-3}} {{1.5}} {{0x1F}} {{1_000}} {{'a'}} {{true}} {{1e3}}", "{}",
         "1 -3 1.5 31 1000 97 true 1000"},
        {R"({{printf "%v" nil}})", "{}", "<nil>"},
        {R"({{"\u00e9\x41"}})", "{}", "éA"},
        {"{{(.State).Status}}", kContainer, "running"},
        // Values computed by functions stay alive while their parts are used.
        {R"({{range split "a,b" ","}}{{.}};{{end}})", "{}", "a;b;"},
        {R"({{range $i, $e := (split "x-y" "-")}}{{$i}}{{$e}}{{end}})", "{}", "0x1y"},
        {R"({{with index .Mounts 0}}{{.Source}}{{end}} {{$m := index .Mounts 1}}{{$m.Source}})", kContainer,
         "/a /b"},
        {R"({{range (slice .Mounts 1)}}{{.Destination}}{{end}})", kContainer, "/y"},
    });
}

TEST(TemplateTest, BuiltinFunctions) {
    check({
        {"{{and 1 0 2}} {{and 1 2}} {{or 0 \"\" \"x\"}} {{or 0 false}}", "{}", "0 2 x false"},
        {"{{not .Missing}} {{not 1}}", "{}", "true false"},
        {"{{or .Name (index .Args 99)}}", kContainer, "web"},  // short-circuit: no error
        {"{{lt 1 2}} {{le 2 2}} {{gt \"b\" \"a\"}} {{ge 1 3}} {{ge 1.5 1}}", "{}",
         "true true true false true"},
        {"{{ne .Name \"x\"}} {{eq .N 1 2 3}} {{eq .N 4}}", R"({"Name":"w","N":3})", "true true false"},
        {"{{eq .Missing .Z}} {{eq .Z \"\"}}", R"({"Z":null})", "true false"},
        {"{{len .Args}} {{len .Name}} {{len .Config.Labels}}", kContainer, "3 3 2"},
        {R"({{index .M "a" 1}} {{index .Args 0}})", R"({"M":{"a":[10,20]},"Args":["x"]})", "20 x"},
        {R"({{index .Config.Labels "missing"}}|)", kContainer, "|"},
        {R"({{index .M "missing"}})", R"({"M":{"a":{}}})", "<nil>"},
        {"{{slice .Name 1 3}} {{slice .Args 1}} {{slice .Args 0 1 2}}", kContainer, "eb [b c] [a]"},
        {"{{print 1 2 \"a\" \"b\" 3}}", "{}", "1 2ab3"},
        {"{{println \"a\" 1}}", "{}", "a 1\n"},
        {R"({{html "<a href='x'>&"}})", "{}", "&lt;a href=&#39;x&#39;&gt;&amp;"},
        {R"({{urlquery "a b&c/d"}})", "{}", "a+b%26c%2Fd"},
        {R"({{js "a'b<"}})", "{}", "a\\'b\\u003C"},
    });
}

TEST(TemplateTest, DockerFunctions) {
    check({
        {R"({{title "hello wide-world"}})", "{}", "Hello Wide-World"},
        {"{{upper .Name}} {{lower \"MiXeD\"}}", kContainer, "WEB mixed"},
        {"{{truncate .ID 4}} {{truncate \"ab\" 3}}", kContainer, "3f2a ab"},
        {"[{{pad .Name 1 2}}][{{pad \"\" 1 2}}]", kContainer, "[ web  ][]"},
        {R"({{split "a,b" ","}} {{len (split "" ",")}} {{split "ab" ""}})", "{}", "[a b] 1 [a b]"},
        {R"({{join .Config.Env ","}}|{{join .Missing ","}}|)", kContainer, "||"},
    });
}

TEST(TemplateTest, Printf) {
    check({
        {R"({{printf "%d|%5d|%-5d|%05d|%+d" 42 42 42 42 42}})", "{}", "42|   42|42   |00042|+42"},
        {R"({{printf "%x %X %o %b %#x" 255 255 8 5 255}})", "{}", "ff FF 10 101 0xff"},
        {R"({{printf "%x" -255}})", "{}", "-ff"},
        {R"({{printf "%c %q %U" 65 65 65}})", "{}", "A 'A' U+0041"},
        {R"({{printf "%f %.2f %8.3f| %e %g %v" 1.5 1.5 1.5 1234.5 1234.5 0.1}})", "{}",
         "1.500000 1.50    1.500| 1.234500e+03 1234.5 0.1"},
        {R"({{printf "%s|%10s|%.2s|%q" "ab" "ab" "abc" "a\"b"}})", "{}", "ab|        ab|ab|\"a\\\"b\""},
        {R"({{printf "%t %v %x" true false "hi"}})", "{}", "true false 6869"},
        {R"({{printf "%v %s" .L .M}})", R"({"L":[1,"a"],"M":{"k":"v"}})", "[1 a] map[k:v]"},
        {R"({{printf "%d" "x"}})", "{}", "%!d(string=x)"},
        {R"({{printf "%s" 3}})", "{}", "%!s(int=3)"},
        {R"({{printf "%d %d" 1}})", "{}", "1 %!d(MISSING)"},
        {R"({{printf "%d" 1 2 "x"}})", "{}", "1%!(EXTRA int=2, string=x)"},
        {R"({{printf "100%%"}})", "{}", "100%"},
        {R"({{printf "%d" .Z}})", R"({"Z":null})", "%!d(<nil>)"},
        {R"({{printf "%v" .Missing}})", "{}", "<nil>"},
        {R"({{printf "%*d|" 4 7}})", "{}", "   7|"},
        {R"({{printf "%99999999d" 1}})", "{}", "%!(BADWIDTH)1"},
        {R"({{printf "%.0f" 1e300 | len}})", "{}", "301"},
    });
}

// Each error must name the position and the problem, as Go's messages do.
TEST(TemplateTest, ParseErrors) {
    struct Err {
        const char* tmpl;
        const char* want;
    };
    std::vector<Err> cases = {
        {"{{.Name", "template: :1:0: unclosed action"},
        {"{{foo .Name}}", "template: :1:2: function \"foo\" not defined"},
        {"ok\n{{ bar }}", "template: :2:3: function \"bar\" not defined"},
        {"{{end}}", "unexpected {{end}}"},
        {"{{else}}", "unexpected {{else}}"},
        {"{{if .A}}x", "unexpected EOF"},
        {"{{$x}}", "undefined variable \"$x\""},
        {"{{if true}}{{$x := 1}}{{end}}{{$x}}", "undefined variable \"$x\""},
        {"{{break}}", "{{break}} outside {{range}}"},
        {"{{/* x }}", "unclosed comment"},
        {"{{.A | 3}}", "non executable command in pipeline stage 2"},
        {"{{(.A}}", "unclosed left paren"},
        {"{{.A)}}", "unexpected right paren"},
        {"{{\"abc}}", "unterminated quoted string"},
        {"{{1.2.3}}", "illegal number syntax"},
        {"{{define \"x\"}}{{end}}", "not supported"},
        {"{{if}}{{end}}", "missing value for if"},
        {"{{range $a, $b, $c := .L}}{{end}}", "too many declarations in range"},
        {"{{\"x\".Foo}}", "unexpected . after term"},
        {"{{3.Foo}}", "number syntax: 3.Foo"},
        {"{{.A #}}", "bad character"},
    };
    std::string deep = "{{" + std::string(5000, '(') + "1" + std::string(5000, ')') + "}}";
    cases.push_back({deep.c_str(), "max expression depth exceeded"});
    for (const auto& c : cases) {
        auto t = Template::parse(c.tmpl);
        ASSERT_FALSE(t) << c.tmpl;
        EXPECT_NE(t.error().str().find(c.want), std::string::npos) << c.tmpl << " gave: " << t.error().str();
        EXPECT_EQ(t.error().str().rfind("template: :", 0), 0u) << t.error().str();
    }
}

TEST(TemplateTest, ExecErrors) {
    struct Err {
        const char* tmpl;
        const char* want;
    };
    std::vector<Err> cases = {
        {"{{join .Args}}",
         "template: :1:2: executing \"\" at <join>: wrong number of args for join: want 2 got 1"},
        {"{{pad .Name 1}}", "wrong number of args for pad: want 3 got 2"},
        {"{{not}}", "wrong number of args for not: want 1 got 0"},
        {"{{eq .Name}}", "missing argument for comparison"},
        {"x\n {{.State.Status.Foo}}",
         "template: :2:3: executing \"\" at <.State.Status.Foo>: can't evaluate field Foo in type string"},
        {"{{.State.Health.Status}}", "at <.State.Health.Status>: nil pointer evaluating interface {}.Status"},
        {"{{lower 3}}", "at <lower>: wrong type for value; expected string; got int"},
        {"{{upper .Missing}}", "invalid value; expected string"},
        {"{{join .Name \",\"}}", "wrong type for value; expected []string; got string"},
        {"{{truncate .Name \"x\"}}", "expected int; got string"},
        {"{{index .Args 5}}", "error calling index: index out of range: 5"},
        {"{{index .Args \"x\"}}", "cannot index slice/array with type string"},
        {"{{index .Missing 1}}", "error calling index: index of untyped nil"},
        {"{{slice .Name 2 1}}", "invalid slice index: 2 > 1"},
        {"{{len .State.Pid}}", "len of type int"},
        {"{{eq .Name 1}}", "incompatible types for comparison"},
        {"{{lt .Args 1}}", "invalid type for comparison"},
        {"{{eq .Args .Args}}", "non-comparable types"},
        {"{{nil}}", "nil is not a command"},
        {"{{.Name 1}}", "Name is not a method but has arguments"},
        {"{{.Name | .State}}", "State is not a method but has arguments"},
        {"{{range .Name}}{{end}}", "range can't iterate over web"},
        {"{{\"x\" 1}}", "can't give argument to non-function"},
    };
    for (const auto& c : cases) {
        std::string got = run(c.tmpl, kContainer);
        EXPECT_EQ(got.rfind("EXEC ERROR: template: :", 0), 0u) << c.tmpl << " gave: " << got;
        EXPECT_NE(got.find(c.want), std::string::npos) << c.tmpl << " gave: " << got;
    }
}

// Random fragments of the language: whatever a user types, the engine answers with output or
// a positioned error, never a crash or an exception (run under BERTH_SANITIZE too).
TEST(TemplateTest, RandomInputsGiveOutputOrPositionedError) {
    const char* pieces[] = {
        "{{",   "}}",    "{{- ",  " -}}", ".",     ".State", ".Args", "$",     "$x",  ":=",     "=",
        "|",    "(",     ")",     " ",    "\"s\"", "`r`",    "'c'",   "1",     "-2",  "1.5",    "nil",
        "true", "if",    "else",  "end",  "range", "with",   "break", "index", "len", "printf", "\"%d%s%*v\"",
        "json", "split", "slice", "eq",   "and",   ",",      "/*",    "*/",    "\n",  "x",      "\t"};
    const size_t n = sizeof pieces / sizeof pieces[0];
    Json d = data(kContainer);
    uint32_t seed = 12345;
    auto rnd = [&seed]() { return seed = seed * 1103515245 + 12345, (seed >> 16) & 0x7fff; };
    int parsed = 0, executed = 0;
    for (int iter = 0; iter < 20000; ++iter) {
        std::string text;
        int len = 1 + rnd() % 12;
        for (int k = 0; k < len; ++k) text += pieces[rnd() % n];
        auto t = Template::parse(text);
        if (!t) {
            EXPECT_EQ(t.error().str().rfind("template: :", 0), 0u) << text;
            continue;
        }
        ++parsed;
        auto out = t->execute(d);
        if (!out) {
            EXPECT_EQ(out.error().str().rfind("template: :", 0), 0u) << text;
        } else {
            ++executed;
        }
    }
    // The generator must reach the executor, not only the parser's error paths.
    EXPECT_GT(parsed, 1000);
    EXPECT_GT(executed, 500);
}

TEST(TemplateTest, PartialOutputBeforeAnError) {
    auto t = Template::parse("a{{.X}}b{{index .L 3}}c");
    ASSERT_TRUE(t);
    std::string out;
    auto r = t->execute_to(data(R"({"X":1,"L":[]})"), out);
    EXPECT_FALSE(r);
    EXPECT_EQ(out, "a1b");
}

const std::map<std::string, std::string> kHeaders = {
    {"ID", "CONTAINER ID"}, {"Image", "IMAGE"}, {"Status", "STATUS"}, {"Names", "NAMES"}};

std::vector<Json> rows() {
    return {
        data(R"({"ID":"3f2a1b0c9d8e","Image":"busybox","Status":"Up 2 seconds","Names":"web"})"),
        data(
            R"({"ID":"a1b2c3d4e5f6","Image":"nginx:latest","Status":"Exited (0) 1 hour ago","Names":"db"})")};
}

TEST(RenderTableTest, TableAlignsLikeDocker) {
    auto out = render_table("table {{.ID}}\t{{.Image}}", rows(), kHeaders);
    ASSERT_TRUE(out) << out.error().str();
    EXPECT_EQ(*out,
              "CONTAINER ID   IMAGE\n"
              "3f2a1b0c9d8e   busybox\n"
              "a1b2c3d4e5f6   nginx:latest\n");

    // The shell-typed "\t" escape, several columns, and minwidth 10 for short cells.
    out = render_table(R"(table {{.Names}}\t{{.Image}}\t{{.Status}}\t{{.ID}})", rows(), kHeaders);
    ASSERT_TRUE(out) << out.error().str();
    EXPECT_EQ(*out,
              "NAMES     IMAGE          STATUS                  CONTAINER ID\n"
              "web       busybox        Up 2 seconds            3f2a1b0c9d8e\n"
              "db        nginx:latest   Exited (0) 1 hour ago   a1b2c3d4e5f6\n");
}

TEST(RenderTableTest, HeaderFunctionsKeepHeaderText) {
    auto out = render_table("table {{truncate .ID 4}}\t{{lower .Image}}\t{{.Missing}}", rows(), kHeaders);
    ASSERT_TRUE(out) << out.error().str();
    EXPECT_EQ(*out,
              "CONTAINER ID   IMAGE          <no value>\n"
              "3f2a           busybox        <no value>\n"
              "a1b2           nginx:latest   <no value>\n");
    // A header that fails to render keeps what came before the failure, as docker does.
    out = render_table("table {{.ID}}\t{{json .}}", {data(R"({"ID":"x"})")}, kHeaders);
    ASSERT_TRUE(out) << out.error().str();
    EXPECT_EQ(*out, "CONTAINER ID   \nx              {\"ID\":\"x\"}\n");
}

TEST(RenderTableTest, NonTableAndJsonFormats) {
    auto out = render_table("{{.ID}} {{.Names}}", rows(), kHeaders);
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "3f2a1b0c9d8e web\na1b2c3d4e5f6 db\n");
    out = render_table("json", {data(R"({"b":"<",  "a":1})")}, kHeaders);
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "{\"a\":1,\"b\":\"<\"}\n");
    out = render_table("table {{.ID}}", {}, kHeaders);  // header only
    ASSERT_TRUE(out);
    EXPECT_EQ(*out, "CONTAINER ID\n");
    out = render_table("{{.ID", rows(), kHeaders);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().str().find("template parsing error: template: :1:0: unclosed action"),
              std::string::npos)
        << out.error().str();
    out = render_table("{{.ID.X}}", rows(), kHeaders);
    ASSERT_FALSE(out);
    EXPECT_NE(out.error().str().find("can't evaluate field X in type string"), std::string::npos);
}

TEST(TabwriterTest, ColumnsBlocksAndWideCharacters) {
    // Column blocks: line 3 has no tab, so lines 4-5 form a new block with their own width.
    EXPECT_EQ(tabwrite("a\tb\nlonger-cell-x\tc\nno tabs here\nx\ty\n"),
              "a               b\nlonger-cell-x   c\nno tabs here\nx         y\n");
    // East Asian wide characters take two columns, as docker's go-runewidth counts them.
    EXPECT_EQ(tabwrite("名前\tx\nab\ty\n"), "名前      x\nab        y\n");
    // Empty cells are padded; trailing text without a newline is kept.
    EXPECT_EQ(tabwrite("\tz\nab\tc"), "          z\nab        c");
}

}  // namespace
}  // namespace berth::cli::format
