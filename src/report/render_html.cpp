#include <algorithm>
#include <cmath>
#include <cstdio>

#include "flopwise/report/format.hpp"
#include "flopwise/report/leaderboard.hpp"

namespace flopwise::report {

namespace {

const char* kStyle = R"(
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#1d232b;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:#5a6570;margin:0 0 16px}
table{border-collapse:collapse;margin:6px 0}
th,td{padding:5px 9px;border-bottom:1px solid #e3e7eb;text-align:right;vertical-align:top;white-space:nowrap}
th{background:#f3f5f7;cursor:pointer;user-select:none;font-weight:600}
th:first-child,td:first-child{text-align:left}
th[aria-sort=ascending]::after{content:" \25B2"}th[aria-sort=descending]::after{content:" \25BC"}
tr.baseline td{background:#fff6d6}
tr.baseline td:first-child{box-shadow:inset 4px 0 #e0a800}
tr.reported td{color:#5b4a8a;font-style:italic;background-image:repeating-linear-gradient(135deg,transparent 0 7px,#f4f1fa 7px 9px)}
tr.reported.baseline td{background-color:#fff6d6}
.ci{display:block;font-size:11px;color:#78828c;font-style:normal}
.tag{display:inline-block;font-size:10px;font-style:normal;border-radius:3px;padding:0 4px;margin-left:5px;vertical-align:1px}
.tag.m{background:#e3f1e6;color:#1f6b35}.tag.r{background:#ece6f7;color:#5b4a8a}.tag.b{background:#ffe38a;color:#6b5000}
.missing{color:#aab2ba}
.legend{font-size:12px;color:#5a6570;margin:4px 0 10px}
details{margin:6px 0}summary{cursor:pointer;font-weight:600}
pre{background:#f6f8fa;padding:10px;overflow:auto;font-size:12px;white-space:pre-wrap}
.verdict{font-weight:700;padding:1px 7px;border-radius:4px}
.verdict.holds{background:#d8f0dd;color:#1f6b35}.verdict.fails{background:#f8d9d9;color:#8a1f1f}.verdict.insufficient{background:#fff0c2;color:#6b5000}
.bar{display:inline-block;height:9px;background:#7aa6d8;vertical-align:middle;margin-right:6px}
.bar.r{background:#b7a6dc}
svg text{font:11px system-ui,sans-serif;fill:#38424c}
svg .point.measured{fill:#2f6fb5}svg .point.reported{fill:#fff;stroke:#6b55a8;stroke-width:2}
svg .frontier{fill:none;stroke:#e07b00;stroke-width:1.5;stroke-dasharray:5 3}
svg .grid{stroke:#e3e7eb}svg .axis{stroke:#78828c}
svg .baseline-ring{fill:none;stroke:#e0a800;stroke-width:3}
)";

const char* kScript = R"(
(function(){
  function key(cell){var v=cell.getAttribute('data-v');return v===null||v===''?null:v;}
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads=table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads,function(th,col){
      th.addEventListener('click',function(){
        var ascending=th.getAttribute('aria-sort')==='descending';
        Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',ascending?'ascending':'descending');
        var text=th.getAttribute('data-type')==='text';
        var body=table.tBodies[0];
        var rows=Array.prototype.slice.call(body.rows);
        rows.sort(function(a,b){
          var x=key(a.cells[col]),y=key(b.cells[col]);
          if(x===null||y===null)return x===null?(y===null?0:1):-1;
          var c=text?x.localeCompare(y):parseFloat(x)-parseFloat(y);
          return ascending?c:-c;
        });
        rows.forEach(function(r){body.appendChild(r);});
      });
    });
  });
})();
)";

std::string fixed(double v, int decimals) {
    char text[48];
    std::snprintf(text, sizeof text, "%.*f", decimals, v);
    return text;
}

std::string number_attr(const std::optional<double>& v) { return v ? " data-v=\"" + fixed(*v, 10) + "\"" : std::string(" data-v=\"\""); }
std::string e(const std::string& s) { return html_escape(s); }

std::string flops_text(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.3g", v);
    return text;
}

std::string cell_html(const LeaderboardCell& c) {
    if (!c.value) return "<td data-v=\"\" title=\"" + e(c.note) + "\"><span class=\"missing\">&mdash;</span></td>";
    std::string title = c.reported ? "reported" : "measured";
    if (c.num_fewshot) title += ", " + std::to_string(*c.num_fewshot) + "-shot";
    if (!c.reported) title += ", " + std::to_string(c.documents) + " documents";
    if (!c.source.empty()) title += ", source: " + c.source;
    if (!c.note.empty()) title += " (" + c.note + ")";
    std::string out = "<td" + number_attr(c.value) + " title=\"" + e(title) + "\">" + format_percent(*c.value);
    if (c.ci_low) out += "<span class=\"ci\">[" + format_percent(*c.ci_low) + ", " + format_percent(*c.ci_high) + "]</span>";
    else if (c.reported) out += "<span class=\"ci\">reported</span>";
    return out + "</td>";
}

std::string leaderboard_table(const Leaderboard& b) {
    std::string out = "<table class=\"sortable\" id=\"leaderboard\"><thead><tr><th data-type=\"text\">model</th>";
    for (const auto& t : b.tasks) out += "<th title=\"" + e(t.metric) + "\">" + e(t.task) + "<span class=\"ci\">" + e(t.metric) + "</span></th>";
    out += "<th>average</th><th title=\"forward FLOPs of one token decoded after " + std::to_string(b.context) +
           " tokens (analytic)\">FLOPs/token<span class=\"ci\">analytic, ctx " + std::to_string(b.context) +
           "</span></th><th title=\"average accuracy divided by FLOPs per token in TFLOP\">accuracy per TFLOP</th>"
           "<th>relative compute<span class=\"ci\">vs baseline</span></th>"
           "<th title=\"counted by the engine over the run's own requests\">counted FLOPs/token<span class=\"ci\">measured</span></th></tr></thead><tbody>";
    for (const auto& r : b.rows) {
        std::string cls = r.reported ? "reported" : "measured";
        if (r.baseline) cls += " baseline";
        out += "<tr class=\"" + cls + "\"><td data-v=\"" + e(r.label) + "\">" + e(r.label);
        out += r.reported ? "<span class=\"tag r\">reported</span>" : "<span class=\"tag m\">measured</span>";
        if (r.baseline) out += "<span class=\"tag b\">baseline</span>";
        out += "</td>";
        for (const auto& c : r.cells) out += cell_html(c);
        out += "<td" + number_attr(r.average) + ">";
        if (r.average) {
            out += format_percent(*r.average);
            if (r.average_ci_low) out += "<span class=\"ci\">[" + format_percent(*r.average_ci_low) + ", " + format_percent(*r.average_ci_high) + "]</span>";
            if (r.average_tasks < static_cast<int32_t>(b.tasks.size()))
                out += "<span class=\"ci\">" + std::to_string(r.average_tasks) + " of " + std::to_string(b.tasks.size()) + " tasks</span>";
        } else {
            out += "<span class=\"missing\">&mdash;</span>";
        }
        out += "</td><td" + number_attr(r.flops_per_token) + " title=\"" + e(r.flops_basis.empty() ? "no card or model shape" : "estimated from " + r.flops_basis) +
               "\">" + (r.flops_per_token ? flops_text(*r.flops_per_token) : "<span class=\"missing\">&mdash;</span>") + "</td>";
        out += "<td" + number_attr(r.accuracy_per_tflop) + ">" + (r.accuracy_per_tflop ? flops_text(*r.accuracy_per_tflop) : "<span class=\"missing\">&mdash;</span>") + "</td>";
        out += "<td" + number_attr(r.relative_compute) + ">" + (r.relative_compute ? flops_text(*r.relative_compute) + "&times;" : "<span class=\"missing\">&mdash;</span>") + "</td>";
        out += "<td" + number_attr(r.counted_flops_per_token) + ">" +
               (r.counted_flops_per_token ? flops_text(*r.counted_flops_per_token) : "<span class=\"missing\">&mdash;</span>") + "</td></tr>";
    }
    return out + "</tbody></table>";
}

// Average accuracy against FLOPs per token (log axis), the Pareto frontier dashed, the baseline ringed.
std::string scatter_svg(const Leaderboard& b) {
    std::vector<const LeaderboardRow*> points;
    for (const auto& r : b.rows)
        if (r.average && r.flops_per_token && *r.flops_per_token > 0) points.push_back(&r);
    if (points.empty()) return "<p class=\"legend\">No model has both an average and a FLOPs estimate: nothing to plot.</p>";
    const double width = 760, height = 420, left = 64, right = 200, top = 16, bottom = 48;
    double lo = 1e300, hi = 0, acc_lo = 1, acc_hi = 0;
    for (const auto* p : points) {
        lo = std::min(lo, *p->flops_per_token);
        hi = std::max(hi, *p->flops_per_token);
        acc_lo = std::min(acc_lo, *p->average);
        acc_hi = std::max(acc_hi, *p->average);
    }
    const double x0 = std::floor(std::log10(lo)), x1 = std::max(x0 + 1, std::ceil(std::log10(hi)));
    double y0 = std::floor(acc_lo * 10 - 0.5) / 10, y1 = std::ceil(acc_hi * 10 + 0.5) / 10;
    y0 = std::max(0.0, y0);
    y1 = std::min(1.0, y1);
    if (y1 <= y0) y1 = y0 + 0.1;
    const double plot_w = width - left - right, plot_h = height - top - bottom;
    const auto px = [&](double f) { return left + (std::log10(f) - x0) / (x1 - x0) * plot_w; };
    const auto py = [&](double a) { return top + (1 - (a - y0) / (y1 - y0)) * plot_h; };
    std::string out = "<svg id=\"scatter\" xmlns=\"http://www.w3.org/2000/svg\" width=\"" + fixed(width, 0) + "\" height=\"" + fixed(height, 0) +
                      "\" role=\"img\" aria-label=\"average accuracy against FLOPs per token\">";
    for (double d = x0; d <= x1 + 1e-9; d += 1) {
        const double x = left + (d - x0) / (x1 - x0) * plot_w;
        out += "<line class=\"grid\" x1=\"" + fixed(x, 1) + "\" x2=\"" + fixed(x, 1) + "\" y1=\"" + fixed(top, 1) + "\" y2=\"" + fixed(top + plot_h, 1) + "\"/>";
        out += "<text x=\"" + fixed(x, 1) + "\" y=\"" + fixed(top + plot_h + 16, 1) + "\" text-anchor=\"middle\">1e" + fixed(d, 0) + "</text>";
    }
    for (int tick = static_cast<int>(std::lround(y0 * 10)); tick <= static_cast<int>(std::lround(y1 * 10)); ++tick) {
        const double a = tick / 10.0, y = py(a);
        out += "<line class=\"grid\" x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left + plot_w, 1) + "\" y1=\"" + fixed(y, 1) + "\" y2=\"" + fixed(y, 1) + "\"/>";
        out += "<text x=\"" + fixed(left - 6, 1) + "\" y=\"" + fixed(y + 4, 1) + "\" text-anchor=\"end\">" + format_percent(a, 0) + "</text>";
    }
    out += "<line class=\"axis\" x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left, 1) + "\" y1=\"" + fixed(top, 1) + "\" y2=\"" + fixed(top + plot_h, 1) + "\"/>";
    out += "<line class=\"axis\" x1=\"" + fixed(left, 1) + "\" x2=\"" + fixed(left + plot_w, 1) + "\" y1=\"" + fixed(top + plot_h, 1) + "\" y2=\"" + fixed(top + plot_h, 1) + "\"/>";
    out += "<text x=\"" + fixed(left + plot_w / 2, 1) + "\" y=\"" + fixed(height - 8, 1) + "\" text-anchor=\"middle\">FLOPs per token (analytic, log scale)</text>";
    out += "<text transform=\"translate(16," + fixed(top + plot_h / 2, 1) + ") rotate(-90)\" text-anchor=\"middle\">average accuracy (%)</text>";

    std::vector<const LeaderboardRow*> frontier;
    for (const auto* p : points)
        if (p->pareto) frontier.push_back(p);
    std::sort(frontier.begin(), frontier.end(), [](const auto* a, const auto* b) { return *a->flops_per_token < *b->flops_per_token; });
    if (frontier.size() > 1) {
        out += "<polyline class=\"frontier\" points=\"";
        for (const auto* p : frontier) out += fixed(px(*p->flops_per_token), 1) + "," + fixed(py(*p->average), 1) + " ";
        out += "\"><title>Pareto frontier</title></polyline>";
    }
    // Labels placed greedily: one that would overlap an earlier one moves down a line.
    struct Box {
        double x0, x1, y;
    };
    std::vector<Box> placed;
    const auto label_y = [&](double x, double y, size_t chars) {
        const double x_end = x + 6.2 * static_cast<double>(chars);
        for (int tries = 0; tries < 8; ++tries) {
            const bool clash = std::any_of(placed.begin(), placed.end(), [&](const Box& b) { return std::fabs(b.y - y) < 12 && b.x0 < x_end && x < b.x1; });
            if (!clash) break;
            y += 12;
        }
        placed.push_back({x, x_end, y});
        return y;
    };
    for (const auto* p : points) {
        const double x = px(*p->flops_per_token), y = py(*p->average);
        const std::string tip = p->label + ": " + format_percent(*p->average) + "% at " + flops_text(*p->flops_per_token) + " FLOPs/token (" +
                                (p->reported ? "reported" : "measured") + (p->pareto ? ", Pareto frontier" : "") +
                                (p->average_tasks < static_cast<int32_t>(b.tasks.size()) ? ", average over fewer tasks" : "") + ")";
        if (p->baseline) out += "<circle class=\"baseline-ring\" cx=\"" + fixed(x, 1) + "\" cy=\"" + fixed(y, 1) + "\" r=\"10\"/>";
        out += "<circle class=\"point " + std::string(p->reported ? "reported" : "measured") + "\" data-model=\"" + e(p->label) + "\" cx=\"" +
               fixed(x, 1) + "\" cy=\"" + fixed(y, 1) + "\" r=\"5\"><title>" + e(tip) + "</title></circle>";
        const std::string label = p->label + (p->baseline ? " (baseline)" : "");
        out += "<text x=\"" + fixed(x + 9, 1) + "\" y=\"" + fixed(label_y(x + 9, y + 4, label.size()), 1) + "\">" + e(label) + "</text>";
    }
    return out + "</svg><p class=\"legend\">Filled: measured by flopwise. Hollow: reported by the model's authors. Dashed: Pareto frontier (models "
                 "averaged over every task). Ring: baseline.</p>";
}

std::string drill_down(const Leaderboard& b) {
    std::string out;
    for (size_t t = 0; t < b.tasks.size(); ++t) {
        out += "<details class=\"task\"><summary>" + e(b.tasks[t].task) + " (" + e(b.tasks[t].metric) + ")</summary><table class=\"sortable\"><thead><tr>"
               "<th data-type=\"text\">model</th><th>" + e(b.tasks[t].metric) + "</th><th>95% interval</th><th data-type=\"text\">figure</th><th>shots</th>"
               "<th>documents</th><th data-type=\"text\">source / note</th></tr></thead><tbody>";
        for (const auto& r : b.rows) {
            const auto& c = r.cells[t];
            out += "<tr class=\"" + std::string(r.reported ? "reported" : "measured") + (r.baseline ? " baseline" : "") + "\"><td data-v=\"" + e(r.label) +
                   "\">" + e(r.label) + "</td><td" + number_attr(c.value) + ">";
            if (c.value)
                out += "<span class=\"bar" + std::string(c.reported ? " r" : "") + "\" style=\"width:" + fixed(std::clamp(*c.value, 0.0, 1.0) * 120, 1) +
                       "px\"></span>" + format_percent(*c.value);
            else
                out += "<span class=\"missing\">&mdash;</span>";
            out += "</td><td" + number_attr(c.ci_low) + ">" + (c.ci_low ? "[" + format_percent(*c.ci_low) + ", " + format_percent(*c.ci_high) + "]" : "") + "</td>";
            out += "<td data-v=\"" + std::string(c.reported ? "reported" : "measured") + "\">" + (c.reported ? "reported" : "measured") + "</td>";
            out += "<td" + number_attr(c.num_fewshot ? std::optional<double>(*c.num_fewshot) : std::nullopt) + ">" +
                   (c.num_fewshot ? std::to_string(*c.num_fewshot) : "") + "</td>";
            out += "<td" + number_attr(c.reported ? std::nullopt : std::optional<double>(c.documents)) + ">" + (c.reported ? "" : std::to_string(c.documents)) + "</td>";
            const std::string note = c.source.empty() ? c.note : c.source + (c.note.empty() ? "" : " (" + c.note + ")");
            out += "<td data-v=\"" + e(note) + "\" style=\"white-space:normal;max-width:420px\">" + e(note) + "</td></tr>";
        }
        out += "</tbody></table></details>";
    }
    return out;
}

std::string claims_html(const Leaderboard& b) {
    if (b.claims.empty()) return "";
    std::string out = "<h2>Claims</h2>";
    for (const auto& c : b.claims) {
        const char* cls = c.verdict == Verdict::holds ? "holds" : c.verdict == Verdict::does_not_hold ? "fails" : "insufficient";
        out += "<details class=\"claim\" open><summary><span class=\"verdict " + std::string(cls) + "\">" + e(to_string(c.verdict)) + "</span> " +
               e(c.claim.text) + "</summary><pre>" + e(format_claim_result(c)) + "</pre></details>";
    }
    return out;
}

std::string metadata_html(const Leaderboard& b) {
    std::string out = "<h2>Run metadata</h2>";
    for (const auto& r : b.rows)
        out += "<details class=\"metadata\"><summary>" + e(r.label) + "</summary><pre>" + e(r.metadata.dump(2, ' ', false, nlohmann::json::error_handler_t::replace)) +
               "</pre></details>";
    return out;
}

}  // namespace

std::string render_html(const Leaderboard& b) {
    std::string out = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><title>" + e(b.title) +
                      "</title><style>" + kStyle + "</style></head><body>";
    out += "<h1>" + e(b.title) + "</h1><p class=\"sub\">Accuracy beside compute. FLOPs per token: analytic forward FLOPs of one token decoded after " +
           std::to_string(b.context) + " tokens (a multiply-add is 2 FLOPs). Intervals: 95%, from each run's standard errors.</p>";
    out += "<h2>Leaderboard</h2><p class=\"legend\"><span class=\"tag m\">measured</span> scored by flopwise &nbsp; <span class=\"tag r\">reported</span> "
           "published by the model's authors (italic, hatched) &nbsp; <span class=\"tag b\">baseline</span> the reference row. Click a column to sort.</p>";
    out += "<div style=\"overflow-x:auto\">" + leaderboard_table(b) + "</div>";
    for (const auto& note : b.notes) out += "<p class=\"legend\">Note: " + e(note) + "</p>";
    out += "<h2>Accuracy against compute</h2>" + scatter_svg(b);
    out += claims_html(b);
    out += "<h2>Per task</h2>" + drill_down(b);
    out += metadata_html(b);
    out += "<script>" + std::string(kScript) + "</script></body></html>\n";
    return out;
}

}  // namespace flopwise::report
