// The prompt template language: what lm-evaluation-harness's Jinja templates need, and clear errors.
#include <gtest/gtest.h>

#include "flopwise/error.hpp"
#include "flopwise/eval/template.hpp"

namespace flopwise::eval {
namespace {

const Doc kDoc = Doc::parse(R"({"question": "  What is 2+2? ", "choices": {"text": ["3", "4"], "label": ["A", "B"]},
                               "answer": 1, "sol1": "up", "sol2": "down", "targets": {"yes": 1, "no": 0, "maybe": 0},
                               "text": "a b  c", "query": "Passage: p\nQuestion: q?"})");

std::string render(const std::string& source) { return Template::parse(source).render(kDoc); }

TEST(Template, RendersFieldsPathsAndLiterals) {
    EXPECT_EQ(render("Question: {{question | trim}}\nAnswer:"), "Question: What is 2+2?\nAnswer:");
    EXPECT_EQ(render("{{choices.text[1]}} {{choices.label[-1]}}"), "4 B");
    EXPECT_EQ(render("{{answer}}"), "1");
    EXPECT_EQ(render("{{' ' + sol1}}"), " up");
    EXPECT_EQ(render("no holes at all"), "no holes at all");
    EXPECT_EQ(render("{{ 'a}}b' }}"), "a}}b");
}

TEST(Template, LoneExpressionKeepsItsType) {
    EXPECT_EQ(Template::parse("{{[sol1, sol2]}}").evaluate(kDoc), Doc::parse(R"(["up", "down"])"));
    EXPECT_EQ(Template::parse("{{answer}}").evaluate(kDoc), Doc(1));
    EXPECT_EQ(Template::parse(" {{answer}}").evaluate(kDoc), Doc(" 1"));
    EXPECT_EQ(Template::parse("{{choices.text}}").evaluate(kDoc), Doc::parse(R"(["3", "4"])"));
}

TEST(Template, Filters) {
    EXPECT_EQ(Template::parse("{{targets | keys}}").evaluate(kDoc), Doc::parse(R"(["yes", "no", "maybe"])"));
    EXPECT_EQ(Template::parse("{{targets | values}}").evaluate(kDoc), Doc::parse("[1, 0, 0]"));
    EXPECT_EQ(render("{{text | split(' ') | join('|')}}"), "a|b||c");
    EXPECT_EQ(render("{{text | split | join('|')}}"), "a|b|c");
    EXPECT_EQ(render("{{text | split(' ') | last}}"), "c");
    EXPECT_EQ(render("{{sol1 | upper}}{{'ABC dEF' | lower}}{{'hELLO wORLD' | capitalize}}"), "UPabc defHello world");
    EXPECT_EQ(render("{{query | regex_replace('^Passage: ', '')}}"), "p\nQuestion: q?");
    EXPECT_EQ(render("{{'x1y22' | regex_replace('([0-9]+)', '<\\\\1>')}}"), "x<1>y<22>");
    EXPECT_EQ(render("{{sol2 | replace('o', '0')}}"), "d0wn");
}

TEST(Template, ErrorsNameTheProblem) {
    auto error_of = [](const std::string& source) {
        try {
            render(source);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of("{{missing}}").find("has no field 'missing' (fields: question, choices,"), std::string::npos) << error_of("{{missing}}");
    EXPECT_NE(error_of("{{choices.text[5]}}").find("index 5 is out of range for 'choices.text' (2 items)"), std::string::npos);
    EXPECT_NE(error_of("{{choices.text}}").find("is a array, not text"), std::string::npos);
    EXPECT_NE(error_of("{{question | shout}}").find("unknown filter 'shout'"), std::string::npos);
    EXPECT_NE(error_of("{{question").find("is never closed"), std::string::npos);
    EXPECT_NE(error_of("{{question question}}").find("unexpected 'q'"), std::string::npos);
    EXPECT_NE(error_of("{{sol1 | regex_replace('(', '')}}").find("regex '('"), std::string::npos);
    EXPECT_NE(error_of("{{answer + sol1}}").find("'+' joins two texts or two lists"), std::string::npos);
}

}  // namespace
}  // namespace flopwise::eval
