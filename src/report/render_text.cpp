#include <algorithm>
#include <cstdio>

#include "flopwise/report/format.hpp"
#include "flopwise/report/leaderboard.hpp"

namespace flopwise::report {

namespace {

using Json = nlohmann::ordered_json;

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(); }

std::string fence_for(const std::string& text) {
    size_t longest = 0, run = 0;
    for (const char c : text) {
        run = c == '`' ? run + 1 : 0;
        longest = std::max(longest, run);
    }
    return std::string(std::max<size_t>(3, longest + 1), '`');
}

std::string g3(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", v);
    return text;
}

}  // namespace

std::string render_markdown(const Leaderboard& b) {
    std::string out = "## " + markdown_escape(b.title) + "\n\n";
    out += "| model | ";
    for (const auto& t : b.tasks) out += markdown_escape(t.task) + " (" + markdown_escape(t.metric) + ") | ";
    out += "average | FLOPs/token | acc. per TFLOP | rel. compute |\n|---|";
    for (size_t i = 0; i < b.tasks.size() + 4; ++i) out += "---:|";
    out += "\n";
    for (const auto& r : b.rows) {
        std::string label = markdown_escape(r.label);
        if (!r.reported) label += " (measured)";  // reported rows say so in their label
        if (r.baseline) label = std::string("**").append(label).append("** (baseline)");
        out += "| " + label + " | ";
        for (const auto& c : r.cells) {
            if (!c.value) out += "— | ";
            else if (c.ci_low) out += format_percent(*c.value) + " [" + format_percent(*c.ci_low) + ", " + format_percent(*c.ci_high) + "] | ";
            else {
                out += '*';
                out += format_percent(*c.value) + "* ᴿ | ";
            }
        }
        if (r.average) {
            out += format_percent(*r.average);
            if (r.average_tasks < static_cast<int32_t>(b.tasks.size())) out += " (" + std::to_string(r.average_tasks) + "/" + std::to_string(b.tasks.size()) + " tasks)";
        } else {
            out += "—";
        }
        out += " | " + (r.flops_per_token ? g3(*r.flops_per_token) : std::string("—"));
        out += " | " + (r.accuracy_per_tflop ? g3(*r.accuracy_per_tflop) : std::string("—"));
        out += " | " + (r.relative_compute ? g3(*r.relative_compute) + "×" : std::string("—")) + " |\n";
    }
    out += "\nScores in %, measured with 95% intervals; ᴿ = reported by the model's authors (not measured by flopwise). FLOPs/token: analytic, one "
           "token decoded after " +
           std::to_string(b.context) + " tokens.\n";
    for (const auto& note : b.notes) out += "\n> " + markdown_escape(note) + "\n";
    if (!b.claims.empty()) {
        out += "\n### Claims\n\n";
        for (const auto& c : b.claims) {
            const char* mark = c.verdict == Verdict::holds ? "✅" : c.verdict == Verdict::does_not_hold ? "❌" : "⚠️";
            out += "- " + std::string(mark) + " **" + to_string(c.verdict) + "**: " + markdown_escape(c.claim.text) + "\n";
        }
        for (const auto& c : b.claims) {
            const std::string text = format_claim_result(c);
            const std::string fence = fence_for(text);
            out += "\n" + fence + "\n" + text + fence + "\n";
        }
    }
    return out;
}

Json render_json(const Leaderboard& b) {
    Json tasks = Json::array();
    for (const auto& t : b.tasks) tasks.push_back({{"task", t.task}, {"metric", t.metric}});
    Json rows = Json::array();
    for (const auto& r : b.rows) {
        Json cells = Json::object();
        for (size_t i = 0; i < b.tasks.size(); ++i) {
            const auto& c = r.cells[i];
            cells[b.tasks[i].task] = {{"value", optional_json(c.value)},
                                      {"ci95", c.ci_low ? Json{*c.ci_low, *c.ci_high} : Json()},
                                      {"source_kind", c.reported ? "reported" : "measured"},
                                      {"num_fewshot", c.num_fewshot ? Json(*c.num_fewshot) : Json()},
                                      {"documents", c.reported ? Json() : Json(c.documents)},
                                      {"source", c.source},
                                      {"note", c.note}};
        }
        rows.push_back({{"model", r.label},
                        {"source_kind", r.reported ? "reported" : "measured"},
                        {"baseline", r.baseline},
                        {"tasks", cells},
                        {"average", optional_json(r.average)},
                        {"average_ci95", r.average_ci_low ? Json{*r.average_ci_low, *r.average_ci_high} : Json()},
                        {"average_tasks", r.average_tasks},
                        {"flops_per_token", {{"value", optional_json(r.flops_per_token)}, {"source_kind", "estimated"}, {"basis", r.flops_basis}}},
                        {"counted_flops_per_token", {{"value", optional_json(r.counted_flops_per_token)}, {"source_kind", "measured"}}},
                        {"accuracy_per_tflop", optional_json(r.accuracy_per_tflop)},
                        {"relative_compute", optional_json(r.relative_compute)},
                        {"training_flops", optional_json(r.training_flops)},
                        {"params_total", r.params_total},
                        {"params_active", r.params_active},
                        {"pareto", r.pareto},
                        {"metadata", r.metadata}});
    }
    Json claims = Json::array();
    for (const auto& c : b.claims) claims.push_back(claim_result_json(c));
    return {{"schema", "flopwise-report"},
            {"schema_version", 1},
            {"title", b.title},
            {"context", b.context},
            {"flops_per_token_definition", "analytic forward FLOPs of one token decoded after `context` tokens; a multiply-add is 2 FLOPs"},
            {"tasks", tasks},
            {"baseline", b.baseline ? Json(b.rows[*b.baseline].label) : Json()},
            {"rows", rows},
            {"claims", claims},
            {"notes", b.notes}};
}

}  // namespace flopwise::report
