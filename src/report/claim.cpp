#include "flopwise/report/claim.hpp"

#include <algorithm>
#include <cstdio>

#include "flopwise/error.hpp"
#include "flopwise/report/format.hpp"

namespace flopwise::report {

std::string to_string(Verdict verdict) {
    switch (verdict) {
        case Verdict::holds: return "holds";
        case Verdict::does_not_hold: return "does not hold";
        case Verdict::insufficient: return "insufficient evidence";
    }
    return "?";
}

int exit_code(Verdict verdict) {
    switch (verdict) {
        case Verdict::holds: return 0;
        case Verdict::does_not_hold: return 1;
        case Verdict::insufficient: return 2;
    }
    return 2;
}

namespace {

// The metric a task is judged on: the claim's, else the one the published figure uses, else the
// first one the subject's (or reference's) run reports.
std::string choose_metric(const ClaimTask& t, const ModelEntry& subject, const ModelEntry& reference) {
    if (!t.metric.empty()) return t.metric;
    for (const ModelEntry* e : {&reference, &subject})
        if (!e->measured() && e->facts)
            if (const ReportedScore* s = e->facts->reported_score(t.task)) return s->metric;
    for (const ModelEntry* e : {&subject, &reference})
        if (e->run)
            if (const TaskFigures* task = e->run->task(t.task))
                for (const auto& m : task->metrics)
                    if (m.aggregation == "mean") return m.key;
    return "acc";
}

ClaimFigure figure_of(const ModelEntry& e, const std::string& task, const std::string& metric) {
    ClaimFigure f;
    if (e.run) {
        f.source = e.run->directory;
        const TaskFigures* t = e.run->task(task);
        if (!t) {
            f.note = "no run of task '" + task + "'";
            return f;
        }
        f.source = t->directory;
        f.num_fewshot = t->num_fewshot;
        const MetricFigure* m = t->metric(metric);
        if (!m) {
            f.note = "the run of '" + task + "' has no metric '" + metric + "'";
            return f;
        }
        f.value = m->value;
        f.stderr_value = m->stderr_value;
        return f;
    }
    f.reported = true;
    if (!e.facts) {
        f.note = "no figures";
        return f;
    }
    const ReportedScore* s = e.facts->reported_score(task, metric);
    if (!s) {
        f.note = "no published '" + metric + "' on '" + task + "' in card " + e.facts->card_name;
        return f;
    }
    f.value = s->value;
    f.num_fewshot = s->num_fewshot;
    f.source = s->source;
    f.note = s->note;
    return f;
}

Verdict judge(double low, double high, const Claim& claim) {
    if (claim.strictly_greater) {
        if (low > claim.margin) return Verdict::holds;
        if (high <= claim.margin) return Verdict::does_not_hold;
        return Verdict::insufficient;
    }
    if (low >= -claim.margin) return Verdict::holds;
    if (high < -claim.margin) return Verdict::does_not_hold;
    return Verdict::insufficient;
}

std::vector<double> values_of(const std::map<int64_t, double>& by_doc) {
    std::vector<double> out;
    for (const auto& [doc, v] : by_doc) out.push_back(v);
    return out;
}

TaskEvidence task_evidence(const Claim& claim, const ClaimTask& t, const ModelEntry& subject, const ModelEntry& reference,
                           const BootstrapOptions& options) {
    TaskEvidence ev;
    ev.task = t.task;
    ev.metric = choose_metric(t, subject, reference);
    ev.subject = figure_of(subject, ev.task, ev.metric);
    ev.reference = figure_of(reference, ev.task, ev.metric);
    for (const ClaimFigure* f : {&ev.subject, &ev.reference})
        if (!f->value) ev.notes.push_back(f->note);
    if (!ev.subject.value || !ev.reference.value) return ev;
    ev.difference = *ev.subject.value - *ev.reference.value;
    if (ev.subject.num_fewshot && ev.reference.num_fewshot && *ev.subject.num_fewshot != *ev.reference.num_fewshot)
        ev.notes.push_back("different shots: " + std::to_string(*ev.subject.num_fewshot) + " (" + (ev.subject.reported ? "reported" : "measured") +
                           ") vs " + std::to_string(*ev.reference.num_fewshot) + " (" + (ev.reference.reported ? "reported" : "measured") + ")");
    if (ev.subject.reported != ev.reference.reported)
        ev.notes.push_back("measured against reported: the published figure comes from its authors' own evaluation (prompts, harness, shots)");

    const double confidence = options.confidence;
    if (!ev.subject.reported && !ev.reference.reported) {
        const auto a = load_sample_values(*subject.run, ev.task, ev.metric);
        const auto b = load_sample_values(*reference.run, ev.task, ev.metric);
        std::vector<double> xa, xb;
        for (const auto& [doc, v] : a)
            if (const auto it = b.find(doc); it != b.end()) {
                xa.push_back(v);
                xb.push_back(it->second);
            }
        if (!xa.empty()) {
            const PairedDifference p = paired_difference(xa, xb, options);
            ev.difference = p.difference;
            ev.ci_low = p.ci_low;
            ev.ci_high = p.ci_high;
            ev.p_value = p.p_value;
            ev.test = p.test;
            ev.documents = p.documents;
            if (xa.size() != a.size() || xb.size() != b.size())
                ev.notes.push_back("paired over the " + std::to_string(xa.size()) + " documents both runs scored");
        } else if (ev.subject.stderr_value && ev.reference.stderr_value) {
            const UnpairedDifference u =
                normal_difference(*ev.subject.value, *ev.subject.stderr_value, *ev.reference.value, *ev.reference.stderr_value, confidence);
            ev.ci_low = u.ci_low;
            ev.ci_high = u.ci_high;
            ev.p_value = u.p_value;
            ev.test = "normal_approximation";
            ev.notes.push_back("the runs share no document: unpaired comparison");
        }
    } else if (ev.subject.reported != ev.reference.reported) {
        const bool subject_measured = !ev.subject.reported;
        const ModelEntry& measured = subject_measured ? subject : reference;
        const double fixed = subject_measured ? *ev.reference.value : *ev.subject.value;
        const auto samples = values_of(load_sample_values(*measured.run, ev.task, ev.metric));
        if (!samples.empty()) {
            const PairedDifference p = difference_from_fixed(samples, fixed, options);
            const double sign = subject_measured ? 1.0 : -1.0;
            ev.difference = sign * p.difference;
            ev.ci_low = subject_measured ? p.ci_low : -p.ci_high;
            ev.ci_high = subject_measured ? p.ci_high : -p.ci_low;
            ev.p_value = p.p_value;
            ev.test = p.test;
            ev.documents = p.documents;
            ev.notes.push_back("the interval covers the measured side's sampling error only; the published figure has none stated");
        }
    } else {
        ev.notes.push_back("both figures are reported: flopwise has no documents to test the difference on");
    }
    if (ev.ci_low && ev.ci_high) ev.verdict = judge(*ev.ci_low, *ev.ci_high, claim);
    return ev;
}

ComputeEvidence compute_evidence(const ComputeBound& bound, const ModelEntry& subject, const ModelEntry& reference) {
    ComputeEvidence ev;
    ev.kind = bound.training ? "train_flops" : "flops";
    const auto figure = [&](const ModelEntry& e, std::string& basis) -> std::optional<double> {
        if (!e.facts) {
            ev.notes.push_back("no model card or model shape for '" + e.label + "'");
            return std::nullopt;
        }
        basis = e.facts->flops_basis;
        const auto value = bound.training ? e.facts->training_flops : e.facts->flops_per_token;
        if (!value)
            ev.notes.push_back(bound.training ? "no training tokens published for '" + e.label + "' (card " + e.facts->card_name + ")"
                                              : "no FLOPs estimate for '" + e.label + "'");
        return value;
    };
    ev.subject = figure(subject, ev.subject_basis);
    ev.reference = figure(reference, ev.reference_basis);
    if (subject.run && reference.run && subject.run->flops_source == "counted" && reference.run->flops_source == "counted" &&
        subject.run->flops_per_token && reference.run->flops_per_token && *reference.run->flops_per_token > 0)
        ev.counted_ratio = *subject.run->flops_per_token / *reference.run->flops_per_token;
    if (ev.subject && ev.reference && *ev.reference > 0) {
        ev.ratio = *ev.subject / *ev.reference;
        const bool within = bound.inclusive ? *ev.ratio <= bound.factor : *ev.ratio < bound.factor;
        ev.verdict = within ? Verdict::holds : Verdict::does_not_hold;
    }
    return ev;
}

Verdict combine(const std::vector<Verdict>& parts) {
    if (std::find(parts.begin(), parts.end(), Verdict::does_not_hold) != parts.end()) return Verdict::does_not_hold;
    if (std::find(parts.begin(), parts.end(), Verdict::insufficient) != parts.end()) return Verdict::insufficient;
    return Verdict::holds;
}

std::vector<ClaimTask> claim_tasks(const Claim& claim, const ModelEntry& subject, const ModelEntry& reference) {
    if (!claim.all_tasks) return claim.tasks;
    std::vector<ClaimTask> out;
    const auto has = [](const ModelEntry& e, const std::string& task) {
        if (e.run) return e.run->task(task) != nullptr;
        return e.facts && e.facts->reported_score(task) != nullptr;
    };
    std::vector<std::string> names;
    if (subject.run) {
        for (const auto& t : subject.run->tasks)
            if (!t.in_group) names.push_back(t.name);
    } else if (subject.facts) {
        for (const auto& s : subject.facts->reported) names.push_back(s.task);
    }
    for (const auto& name : names)
        if (has(reference, name) && std::none_of(out.begin(), out.end(), [&](const ClaimTask& t) { return t.task == name; }))
            out.push_back({name, ""});
    return out;
}

std::string figure_text(const ClaimFigure& f) {
    if (!f.value) return "n/a";
    std::string out = format_percent(*f.value, 2);
    if (f.stderr_value) out += " ± " + format_percent(*f.stderr_value, 2) + " (se)";
    out += f.reported ? " [reported" : " [measured";
    if (f.num_fewshot) out += ", " + std::to_string(*f.num_fewshot) + "-shot";
    if (!f.source.empty()) out += ", " + f.source;
    if (f.reported && !f.note.empty()) out += ", " + f.note;
    return out + "]";
}

nlohmann::ordered_json optional_json(const std::optional<double>& v) { return v ? nlohmann::ordered_json(*v) : nlohmann::ordered_json(); }

nlohmann::ordered_json figure_json(const ClaimFigure& f) {
    return {{"value", optional_json(f.value)},
            {"stderr", optional_json(f.stderr_value)},
            {"source_kind", f.reported ? "reported" : "measured"},
            {"num_fewshot", f.num_fewshot ? nlohmann::ordered_json(*f.num_fewshot) : nlohmann::ordered_json()},
            {"source", f.source},
            {"note", f.note}};
}

}  // namespace

ClaimResult check_claim(const Claim& claim, const ModelEntry& subject, const ModelEntry& reference, const BootstrapOptions& options) {
    ClaimResult result;
    result.claim = claim;
    result.subject_label = subject.label;
    result.reference_label = reference.label;
    std::vector<Verdict> parts;
    const auto tasks = claim_tasks(claim, subject, reference);
    if (tasks.empty()) result.notes.push_back("no task has figures for both models");
    for (const auto& t : tasks) {
        result.tasks.push_back(task_evidence(claim, t, subject, reference, options));
        parts.push_back(result.tasks.back().verdict);
    }
    if (tasks.empty()) parts.push_back(Verdict::insufficient);
    if (claim.bound) {
        result.compute = compute_evidence(*claim.bound, subject, reference);
        parts.push_back(result.compute->verdict);
    }
    result.verdict = combine(parts);
    return result;
}

ClaimResult check_claim(const Claim& claim, std::vector<ModelEntry>& entries, int64_t context, const BootstrapOptions& options) {
    const auto resolve = [&](const std::string& name) -> const ModelEntry* {
        try {
            return &find_entry(entries, name);
        } catch (const Error&) {
            auto facts = card_facts(name, context);
            if (!facts) throw;
            entries.push_back(reported_entry(std::move(*facts)));
            return nullptr;
        }
    };
    // Resolve both before taking references: adding a card may move the entries.
    resolve(claim.subject);
    resolve(claim.reference);
    const ModelEntry& subject = find_entry(entries, claim.subject);
    const ModelEntry& reference = find_entry(entries, claim.reference);
    if (&subject == &reference) throw Error("claim '" + claim.text + "': both sides name the same model '" + subject.label + "'");
    return check_claim(claim, subject, reference, options);
}

std::string format_claim_result(const ClaimResult& r) {
    std::string out = "claim: " + r.claim.text + "\n";
    out += "  A = " + r.subject_label + "\n  B = " + r.reference_label + "\n";
    char line[512];
    for (const auto& t : r.tasks) {
        out += "  " + t.task + " (" + t.metric + "): " + to_string(t.verdict) + "\n";
        out += "    A: " + figure_text(t.subject) + "\n    B: " + figure_text(t.reference) + "\n";
        if (t.difference) {
            if (t.ci_low && t.ci_high) {
                std::snprintf(line, sizeof line, "    A - B = %+.2f points, 95%% interval [%+.2f, %+.2f], p = %s (%s, %lld documents)\n",
                              100 * *t.difference, 100 * *t.ci_low, 100 * *t.ci_high, t.p_value ? format_p(*t.p_value).c_str() : "n/a",
                              t.test.c_str(), static_cast<long long>(t.documents));
            } else {
                std::snprintf(line, sizeof line, "    A - B = %+.2f points (no interval)\n", 100 * *t.difference);
            }
            out += line;
        }
        for (const auto& note : t.notes) out += "    note: " + note + "\n";
    }
    if (r.claim.margin > 0) out += "  margin: " + format_percent(r.claim.margin, 2) + " points\n";
    if (r.compute) {
        const auto& c = *r.compute;
        const auto& b = *r.claim.bound;
        out += "  compute (" + std::string(c.kind == "flops" ? "inference FLOPs per token, analytic" : "training FLOPs, ~6 N D from the cards") +
               "): " + to_string(c.verdict) + "\n";
        if (c.subject) out += "    A: " + format_flops(*c.subject) + " [estimated, " + c.subject_basis + "]\n";
        if (c.reference) out += "    B: " + format_flops(*c.reference) + " [estimated, " + c.reference_basis + "]\n";
        if (c.ratio) {
            std::snprintf(line, sizeof line, "    A / B = %.4gx (bound %s %gx)\n", *c.ratio, b.inclusive ? "<=" : "<", b.factor);
            out += line;
        }
        if (c.counted_ratio) {
            std::snprintf(line, sizeof line, "    counted by the engine over each run's own requests: A / B = %.4gx [measured]\n", *c.counted_ratio);
            out += line;
        }
        for (const auto& note : c.notes) out += "    note: " + note + "\n";
    }
    for (const auto& note : r.notes) out += "  note: " + note + "\n";
    out += "verdict: " + to_string(r.verdict) + "\n";
    return out;
}

nlohmann::ordered_json claim_result_json(const ClaimResult& r) {
    nlohmann::ordered_json tasks = nlohmann::ordered_json::array();
    for (const auto& t : r.tasks)
        tasks.push_back({{"task", t.task},
                         {"metric", t.metric},
                         {"subject", figure_json(t.subject)},
                         {"reference", figure_json(t.reference)},
                         {"difference", optional_json(t.difference)},
                         {"ci95", t.ci_low && t.ci_high ? nlohmann::ordered_json{*t.ci_low, *t.ci_high} : nlohmann::ordered_json()},
                         {"p_value", optional_json(t.p_value)},
                         {"test", t.test},
                         {"documents", t.documents},
                         {"verdict", to_string(t.verdict)},
                         {"notes", t.notes}});
    nlohmann::ordered_json out = {{"claim", r.claim.text},
                                  {"subject", r.subject_label},
                                  {"reference", r.reference_label},
                                  {"margin", r.claim.margin},
                                  {"verdict", to_string(r.verdict)},
                                  {"exit_code", exit_code(r.verdict)},
                                  {"tasks", tasks}};
    if (r.compute) {
        const auto& c = *r.compute;
        out["compute"] = {{"kind", c.kind},
                          {"source_kind", "estimated"},
                          {"subject", optional_json(c.subject)},
                          {"subject_basis", c.subject_basis},
                          {"reference", optional_json(c.reference)},
                          {"reference_basis", c.reference_basis},
                          {"ratio", optional_json(c.ratio)},
                          {"bound", r.claim.bound->factor},
                          {"bound_inclusive", r.claim.bound->inclusive},
                          {"counted_ratio", optional_json(c.counted_ratio)},
                          {"verdict", to_string(c.verdict)},
                          {"notes", c.notes}};
    }
    out["notes"] = r.notes;
    return out;
}

}  // namespace flopwise::report
