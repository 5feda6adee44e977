#include "flopwise/report/comparison.hpp"

#include <cstdio>

#include "flopwise/error.hpp"
#include "flopwise/report/format.hpp"

namespace flopwise::report {

std::vector<ComputeRatio> compute_ratios(const ModelEntry& a, const ModelEntry& b) {
    std::vector<ComputeRatio> out;
    if (a.facts && b.facts && a.facts->flops_per_token && b.facts->flops_per_token && *b.facts->flops_per_token > 0)
        out.push_back({"analytic", *a.facts->flops_per_token, *b.facts->flops_per_token, *a.facts->flops_per_token / *b.facts->flops_per_token});
    if (a.run && b.run && a.run->flops_source == "counted" && b.run->flops_source == "counted" && a.run->flops_per_token &&
        b.run->flops_per_token && *b.run->flops_per_token > 0)
        out.push_back({"counted", *a.run->flops_per_token, *b.run->flops_per_token, *a.run->flops_per_token / *b.run->flops_per_token});
    return out;
}

RunComparison compare_runs(const ModelEntry& a, const ModelEntry& b, const BootstrapOptions& options) {
    if (!a.run || !b.run) throw Error("flopwise compare: both sides must be run directories");
    const Run& ra = *a.run;
    const Run& rb = *b.run;
    RunComparison out;
    out.label_a = a.label;
    out.label_b = b.label;
    if (ra.model_key == rb.model_key && !ra.model_key.empty())
        out.notes.push_back("both runs are of the same model (equal model keys): differences come from settings or tasks, not the model");
    for (const auto& ta : ra.tasks) {
        const TaskFigures* tb = rb.task(ta.name);
        if (!tb) {
            out.notes.push_back("task '" + ta.name + "' is only in " + ra.directory);
            continue;
        }
        for (const auto& ma : ta.metrics) {
            const MetricFigure* mb = tb->metric(ma.key);
            if (!mb) continue;
            if (ma.aggregation != "mean" || mb->aggregation != "mean") {
                out.notes.push_back(ta.name + " " + ma.key + ": not compared (aggregation '" + ma.aggregation +
                                    "' is not a per-document mean)");
                continue;
            }
            const auto va = load_sample_values(ra, ta.name, ma.key);
            const auto vb = load_sample_values(rb, ta.name, ma.key);
            std::vector<double> xa, xb;
            for (const auto& [doc, value] : va)
                if (const auto it = vb.find(doc); it != vb.end()) {
                    xa.push_back(value);
                    xb.push_back(it->second);
                }
            MetricComparison m;
            m.task = ta.name;
            m.metric = ma.key;
            m.value_a = ma.value;
            m.value_b = mb->value;
            if (ta.config_sha256 != tb->config_sha256) m.notes.push_back("the task definitions differ (config_sha256)");
            if (ta.num_fewshot != tb->num_fewshot)
                m.notes.push_back("different shots: " + std::to_string(ta.num_fewshot) + " vs " + std::to_string(tb->num_fewshot));
            if (xa.size() != va.size() || xb.size() != vb.size())
                m.notes.push_back("paired over the " + std::to_string(xa.size()) + " documents both runs scored (" + std::to_string(va.size()) +
                                  " and " + std::to_string(vb.size()) + " in the runs)");
            if (xa.empty()) {
                out.notes.push_back(ta.name + " " + ma.key + ": the runs share no scored document");
                continue;
            }
            m.paired = paired_difference(xa, xb, options);
            out.metrics.push_back(std::move(m));
        }
    }
    for (const auto& tb : rb.tasks)
        if (!ra.task(tb.name)) out.notes.push_back("task '" + tb.name + "' is only in " + rb.directory);
    out.compute = compute_ratios(a, b);
    if (out.compute.empty()) out.notes.push_back("no FLOPs figure of the same kind for both models: no compute ratio");
    return out;
}

std::string format_comparison(const RunComparison& c) {
    std::string out = "A: " + c.label_a + " (measured)\nB: " + c.label_b + " (measured)\n\n";
    char line[512];
    std::snprintf(line, sizeof line, "%-28s %-14s %6s %8s %8s %9s  %-19s %9s  %s\n", "task", "metric", "docs", "A", "B", "A - B", "95% interval",
                  "p", "test");
    out += line;
    for (const auto& m : c.metrics) {
        const auto& p = m.paired;
        std::snprintf(line, sizeof line, "%-28s %-14s %6lld %8.4f %8.4f %+9.4f  [%+8.4f, %+8.4f] %9s  %s\n", m.task.c_str(), m.metric.c_str(),
                      static_cast<long long>(p.documents), p.mean_a, p.mean_b, p.difference, p.ci_low, p.ci_high,
                      format_p(p.p_value).c_str(), p.test.c_str());
        out += line;
        for (const auto& note : m.notes) out += "    note: " + note + "\n";
    }
    out += "\nFLOPs per token, A / B:\n";
    for (const auto& r : c.compute) {
        std::snprintf(line, sizeof line, "  %-9s %s / %s = %.4gx\n", r.kind.c_str(), format_flops(r.a).c_str(), format_flops(r.b).c_str(), r.ratio);
        out += line;
    }
    for (const auto& note : c.notes) out += "note: " + note + "\n";
    return out;
}

nlohmann::ordered_json comparison_json(const RunComparison& c) {
    nlohmann::ordered_json metrics = nlohmann::ordered_json::array();
    for (const auto& m : c.metrics) {
        const auto& p = m.paired;
        metrics.push_back({{"task", m.task},
                           {"metric", m.metric},
                           {"source", "measured"},
                           {"documents", p.documents},
                           {"a", p.mean_a},
                           {"b", p.mean_b},
                           {"difference", p.difference},
                           {"ci95", {p.ci_low, p.ci_high}},
                           {"p_value", p.p_value},
                           {"test", p.test},
                           {"a_only", p.a_only},
                           {"b_only", p.b_only},
                           {"task_value_a", m.value_a},
                           {"task_value_b", m.value_b},
                           {"notes", m.notes}});
    }
    nlohmann::ordered_json compute = nlohmann::ordered_json::array();
    for (const auto& r : c.compute) compute.push_back({{"kind", r.kind}, {"a", r.a}, {"b", r.b}, {"ratio", r.ratio}});
    return {{"a", c.label_a}, {"b", c.label_b}, {"metrics", metrics}, {"flops_per_token_ratio", compute}, {"notes", c.notes}};
}

}  // namespace flopwise::report
