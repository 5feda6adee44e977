#include <cmath>
#include <cstdlib>
#include <sstream>

#include "flopwise/error.hpp"
#include "flopwise/report/claim.hpp"

namespace flopwise::report {

namespace {

std::string trim(const std::string& s) {
    const size_t first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::string without_spaces(const std::string& s) {
    std::string out;
    for (const char c : s)
        if (!std::isspace(static_cast<unsigned char>(c))) out += c;
    return out;
}

std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    for (std::string w; in >> w;) out.push_back(w);
    return out;
}

std::string join(const std::vector<std::string>& parts, size_t begin, size_t end) {
    std::string out;
    for (size_t i = begin; i < end; ++i) out += (i > begin ? " " : "") + parts[i];
    return out;
}

class ClaimError {
public:
    explicit ClaimError(const std::string& text) : text_(text) {}
    [[noreturn]] void operator()(const std::string& what) const {
        throw Error("claim '" + text_ + "': " + what + " (grammar: MODEL >= MODEL on TASK[,TASK...] [within MARGIN] [at <= FACTORx flops|train_flops])");
    }

private:
    std::string text_;
};

// A number at the start of `text`; the rest is left in `rest`.
double leading_number(const std::string& text, std::string& rest, const ClaimError& fail, const std::string& what) {
    const char* begin = text.c_str();
    char* end = nullptr;
    const double value = std::strtod(begin, &end);
    if (end == begin || !std::isfinite(value)) fail("expected a number for " + what + ", got '" + text + "'");
    rest = std::string(end);
    return value;
}

double parse_margin(const std::string& clause, const ClaimError& fail) {
    std::string rest;
    double margin = leading_number(clause, rest, fail, "the margin after 'within'");
    if (rest == "pt") margin /= 100.0;
    else if (!rest.empty()) fail("the margin after 'within' must be a fraction (0.02) or points (2pt), got '" + clause + "'");
    if (margin < 0.0 || margin >= 1.0) fail("the margin after 'within' must be in [0, 1) as a fraction, got '" + clause + "'");
    return margin;
}

ComputeBound parse_bound(const std::string& clause, const ClaimError& fail) {
    ComputeBound bound;
    std::string rest;
    if (clause.rfind("<=", 0) == 0) rest = clause.substr(2);
    else if (clause.rfind("<", 0) == 0) {
        bound.inclusive = false;
        rest = clause.substr(1);
    } else {
        fail("the compute bound after 'at' must start with <= or <, got '" + clause + "'");
    }
    bound.factor = leading_number(rest, rest, fail, "the compute factor");
    if (!(bound.factor > 0.0)) fail("the compute factor must be positive");
    if (rest.rfind("x", 0) == 0) rest = rest.substr(1);
    if (rest == "train_flops") bound.training = true;
    else if (rest != "flops") fail("the compute bound must end in 'x flops' or 'x train_flops', got '" + clause + "'");
    return bound;
}

}  // namespace

Claim parse_claim(const std::string& text) {
    const ClaimError fail(text);
    Claim claim;
    claim.text = text;
    const size_t op = text.find('>');
    if (op == std::string::npos) fail("no comparison: expected '>=' or '>' between two models");
    claim.subject = trim(text.substr(0, op));
    if (claim.subject.empty()) fail("no model before '" + std::string(text.compare(op, 2, ">=") == 0 ? ">=" : ">") + "'");
    claim.strictly_greater = text.compare(op, 2, ">=") != 0;
    const auto rest = words(text.substr(op + (claim.strictly_greater ? 1 : 2)));
    size_t on = 0;
    while (on < rest.size() && rest[on] != "on") ++on;
    if (on == rest.size()) fail("expected 'on TASKS' after the second model");
    claim.reference = join(rest, 0, on);
    if (claim.reference.empty()) fail("no model after the comparison");
    size_t end_tasks = on + 1;
    while (end_tasks < rest.size() && rest[end_tasks] != "within" && rest[end_tasks] != "at") ++end_tasks;
    const std::string task_list = without_spaces(join(rest, on + 1, end_tasks));
    if (task_list.empty()) fail("no tasks after 'on'");
    if (task_list == "all") {
        claim.all_tasks = true;
    } else {
        std::istringstream in(task_list);
        for (std::string item; std::getline(in, item, ',');) {
            if (item.empty()) fail("an empty task in '" + task_list + "'");
            ClaimTask task;
            const size_t colon = item.find(':');
            task.task = item.substr(0, colon);
            if (colon != std::string::npos) task.metric = item.substr(colon + 1);
            if (task.task.empty() || (colon != std::string::npos && task.metric.empty())) fail("bad task '" + item + "' (TASK or TASK:METRIC)");
            claim.tasks.push_back(task);
        }
        if (task_list.back() == ',') fail("an empty task in '" + task_list + "'");
    }
    size_t i = end_tasks;
    if (i < rest.size() && rest[i] == "within") {
        size_t j = i + 1;
        while (j < rest.size() && rest[j] != "at") ++j;
        if (j == i + 1) fail("expected a margin after 'within'");
        claim.margin = parse_margin(without_spaces(join(rest, i + 1, j)), fail);
        i = j;
    }
    if (i < rest.size() && rest[i] == "at") {
        if (i + 1 == rest.size()) fail("expected a compute bound after 'at'");
        claim.bound = parse_bound(without_spaces(join(rest, i + 1, rest.size())), fail);
        i = rest.size();
    }
    if (i != rest.size()) fail("unexpected '" + join(rest, i, rest.size()) + "'");
    return claim;
}

}  // namespace flopwise::report
