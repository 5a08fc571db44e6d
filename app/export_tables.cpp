#include "app/export_tables.h"
#include "app/job_common.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "common/ascii.h"
#include "common/version.h"

namespace ms {

namespace {

// Rows fetched from the store at a time: pages keep memory flat for millions of rows.
constexpr int64_t kPage = 10000;

// Joins fields with the syntax's separator and ends the line.
std::string row(const std::vector<std::string>& fields, TableSyntax syntax) {
    std::string s;
    for (size_t i = 0; i < fields.size(); ++i) {
        if (i) s += syntax == TableSyntax::tsv ? '\t' : ',';
        s += fields[i];
    }
    return s + '\n';
}

Result<void> for_each_variant(const ExportSource& src, const std::function<Result<void>(const StoredVariant&)>& fn) {
    VariantQuery q;
    q.run_id = src.run.id;
    if (src.region) {
        q.chrom = src.region->contig;
        q.first_pos = src.region->begin + 1;  // POS is 1-based: bases begin..end-1 are POS begin+1..end
        q.last_pos = src.region->end;
    }
    q.limit = kPage;
    for (;;) {
        std::vector<StoredVariant> page;
        MS_ASSIGN(page, src.store.query_variants(q));
        for (const StoredVariant& v : page) MS_TRY(fn(v));
        if (int64_t(page.size()) < kPage) return {};
        q.offset += kPage;
    }
}

// The run's parameters (params_json) as an object; empty when unreadable.
nlohmann::json run_params(const ExportSource& src) {
    nlohmann::json p = nlohmann::json::parse(src.run.info.params_json, nullptr, false);
    return p.is_object() ? p : nlohmann::json::object();
}

// The scores the run's variants carry; for a `variants` run with none stored, the ones it would
// have written, so an empty export still has the columns (or INFO definitions) of its kind.
Result<std::vector<std::string>> score_names(const ExportSource& src, int64_t& count) {
    std::set<std::string> names;
    count = 0;
    MS_TRY(for_each_variant(src, [&](const StoredVariant& v) -> Result<void> {
        ++count;
        for (const auto& s : v.v.scores) names.insert(s.first);
        return {};
    }));
    if (const nlohmann::json params = run_params(src); names.empty() && params.value("command", "") == "variants") {
        names.insert("llr");
        if (params.value("strand", "") == "both") names.insert({"llr_fwd", "llr_rev"});
    }
    return std::vector<std::string>(names.begin(), names.end());
}

// A `variants` run that scored nothing (a header-only VCF, every REF another genome's) exports as
// a table or VCF with its header and no rows; a run of another command has no variants to give.
Result<void> require_variants(const ExportSource& src) {
    VariantQuery q;
    q.run_id = src.run.id;
    q.limit = 1;
    std::vector<StoredVariant> any;
    MS_ASSIGN(any, src.store.query_variants(q));
    if (any.empty() && run_params(src).value("command", "") != "variants")
        return make_error(src.describe_run(), " holds no variants (they are written by `variants`)");
    return {};
}

}  // namespace

Result<std::string> export_predictions(const ExportSource& src, TableSyntax syntax, bool bgzip,
                                       const std::string& out) {
    PredictionQuery q;
    q.run_id = src.run.id;
    int64_t total = 0;
    MS_ASSIGN(total, src.store.count_predictions(q));
    // A classify run that found nothing to classify exports as the header alone; a run of another
    // command has no predictions to give.
    if (total == 0 && run_params(src).value("command", "") != "classify")
        return make_error(src.describe_run(), " holds no predictions (they are written by `classify`)");
    std::vector<std::string> classes;
    MS_ASSIGN(classes, src.store.prediction_classes(src.run.id));
    if (src.region) {
        q.sequence_id = src.sequence(src.region->contig)->id;
        q.begin = src.region->begin;
        q.end = src.region->end;
    }
    q.limit = kPage;
    auto file = TextOutput::create(out, bgzip);
    if (!file) return file.error();
    std::vector<std::string> header = {"sequence", "start", "end", "label", "score"};
    for (const std::string& c : classes) {
        std::string f;
        MS_ASSIGN(f, table_field("p_" + c, syntax, "class name"));
        header.push_back(f);
    }
    header.push_back("kind");
    header.push_back("item");
    MS_TRY(file->put(row(header, syntax)));
    int64_t rows = 0;
    for (;;) {
        std::vector<StoredPrediction> page;
        MS_ASSIGN(page, src.store.query_predictions(q));
        for (const StoredPrediction& sp : page) {
            const Prediction& p = sp.p;
            const StoredSequence* seq = src.sequence(p.sequence_id);
            std::vector<std::string> f;
            MS_ASSIGN(f.emplace_back(), table_field(seq ? seq->info.name : "*", syntax, "sequence name"));
            f.push_back(cat(p.begin));
            f.push_back(cat(p.end));
            MS_ASSIGN(f.emplace_back(), table_field(p.label, syntax, "label"));
            f.push_back(p.score ? format_number(*p.score) : "NA");
            if (!p.probs.empty() && p.probs.size() != classes.size())
                return make_error(src.describe_run(), ": prediction ", sp.id, " has ", p.probs.size(),
                                  " class probabilities; the run names ", classes.size(), " classes");
            for (size_t c = 0; c < classes.size(); ++c) f.push_back(p.probs.empty() ? "NA" : format_number(p.probs[c]));
            f.push_back(to_string(p.kind));
            MS_ASSIGN(f.emplace_back(), table_field(p.item, syntax, "item name"));
            MS_TRY(file->put(row(f, syntax)));
            ++rows;
        }
        if (int64_t(page.size()) < kPage) break;
        q.offset += kPage;
    }
    MS_TRY(file->commit());
    return plural(rows, "prediction");
}

Result<std::string> export_variants_table(const ExportSource& src, TableSyntax syntax, bool bgzip,
                                          const std::string& out) {
    MS_TRY(require_variants(src));
    int64_t count = 0;
    std::vector<std::string> names;
    MS_ASSIGN(names, score_names(src, count));
    auto file = TextOutput::create(out, bgzip);
    if (!file) return file.error();
    std::vector<std::string> header = {"chrom", "pos", "id", "ref", "alt"};
    for (const std::string& n : names) MS_ASSIGN(header.emplace_back(), table_field(n, syntax, "score name"));
    MS_TRY(file->put(row(header, syntax)));
    int64_t rows = 0;
    MS_TRY(for_each_variant(src, [&](const StoredVariant& sv) -> Result<void> {
        const Variant& v = sv.v;
        std::vector<std::string> f;
        MS_ASSIGN(f.emplace_back(), table_field(v.chrom, syntax, "chromosome"));
        f.push_back(cat(v.pos));
        MS_ASSIGN(f.emplace_back(), table_field(v.name.empty() ? "." : v.name, syntax, "variant id"));
        MS_ASSIGN(f.emplace_back(), table_field(v.ref, syntax, "REF"));
        MS_ASSIGN(f.emplace_back(), table_field(v.alt, syntax, "ALT"));
        for (const std::string& n : names) {
            std::string value = "NA";
            for (const auto& [name, x] : v.scores)
                if (name == n) value = format_number(x);
            f.push_back(value);
        }
        ++rows;
        return file->put(row(f, syntax));
    }));
    MS_TRY(file->commit());
    return plural(rows, "variant");
}

std::string vcf_info_key(const std::string& score_name) {
    std::string k = "MS_";
    for (char c : score_name) {
        k += ascii_alnum(c) || c == '_' || c == '.' ? ascii_upper(c) : '_';
    }
    return k;
}

namespace {

// A header value in double quotes, as VCF 4.2 writes Description: backslash and quote escaped.
std::string quoted(const std::string& s) {
    std::string q = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') q += '\\';
        q += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    return q + "\"";
}

// `log` is the run's base of logarithms (params_json "log": "log2" from `variants`).
std::string describe_score(const std::string& name, int64_t run, const std::string& log, bool both_strands) {
    const std::string ll = log == "log2" ? "log2-likelihood" : "log-likelihood";
    const std::string what =
        cat("MambaScope ", ll, " ratio of each ALT: ", ll, " of the sequence with the ALT minus with the REF");
    if (name == "llr")
        return cat(what, both_strands ? ", the mean of the forward and reverse strands" : ", forward strand", " (run ",
                   run, ")");
    if (name == "llr_fwd") return cat(what, ", forward strand (run ", run, ")");
    if (name == "llr_rev") return cat(what, ", reverse strand (run ", run, ")");
    return cat("MambaScope score '", name, "' of each ALT (run ", run, ")");
}

std::string today() {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y%m%d", &tm);
    return buf;
}

// One VCF line: the ALTs of a site gathered while the rows of that site come in (the store sorts
// variants by chrom, pos, ref, alt, so a site's rows are neighbours).
struct Site {
    std::string chrom, ref;
    int64_t pos = 0;
    std::vector<std::string> ids, alts;
    std::vector<std::map<std::string, double>> scores;  // per ALT
};

// Appends `item` to a separated list.
void append(std::string& list, char separator, const std::string& item) {
    if (!list.empty()) list += separator;
    list += item;
}

std::string vcf_line(const Site& s, const std::vector<std::string>& names) {
    std::string id, alt, info;
    for (const std::string& i : s.ids) append(id, ';', i);
    for (const std::string& a : s.alts) append(alt, ',', a);
    for (const std::string& n : names) {
        std::string values;
        bool any = false;
        for (size_t a = 0; a < s.alts.size(); ++a) {
            const auto it = s.scores[a].find(n);
            const bool has = it != s.scores[a].end() && !std::isnan(it->second);
            any |= has;
            if (a) values += ',';
            values += has ? format_number(it->second) : std::string(".");
        }
        if (any) append(info, ';', vcf_info_key(n) + "=" + values);
    }
    return cat(s.chrom, '\t', s.pos, '\t', id.empty() ? "." : id, '\t', s.ref, '\t', alt, "\t.\t.\t",
               info.empty() ? "." : info, '\n');
}

}  // namespace

Result<std::string> export_vcf(const ExportSource& src, bool bgzip, const std::string& out) {
    MS_TRY(require_variants(src));
    int64_t count = 0;
    std::vector<std::string> names;
    MS_ASSIGN(names, score_names(src, count));
    // Two score names that map to one INFO key would make one field hold two meanings.
    std::map<std::string, std::string> keys;
    for (const std::string& n : names) {
        const auto [it, fresh] = keys.emplace(vcf_info_key(n), n);
        if (!fresh)
            return make_error(src.describe_run(), ": scores '", it->second, "' and '", n, "' would both be INFO field ",
                              it->first, "; rename one");
    }
    // The chromosomes in the order the variants come, for the ##contig lines.
    std::vector<std::string> chroms;
    MS_TRY(for_each_variant(src, [&](const StoredVariant& v) -> Result<void> {
        if (chroms.empty() || chroms.back() != v.v.chrom) chroms.push_back(v.v.chrom);
        return {};
    }));
    auto file = TextOutput::create(out, bgzip);
    if (!file) return file.error();
    const RunInfo& ri = src.run.info;
    std::string h =
        "##fileformat=VCFv4.2\n##fileDate=" + today() + "\n##source=mambascope-cli " + build::version + "\n";
    h += cat("##mambascope_run=<ID=", src.run.id, ",Model=", quoted(ri.model_name),
             ",ModelSHA256=", quoted(ri.model_sha256), ",Command=", quoted(ri.command),
             ",Started=", quoted(src.run.started_at), ">\n");
    for (const std::string& c : chroms) {
        const StoredSequence* seq = src.sequence(c);
        h += seq ? cat("##contig=<ID=", c, ",length=", seq->info.length, ">\n") : cat("##contig=<ID=", c, ">\n");
    }
    const nlohmann::json params = run_params(src);
    const std::string log = params.value("log", "");
    const bool both = params.value("strand", "") == "both";
    for (const std::string& n : names)
        h += cat("##INFO=<ID=", vcf_info_key(n),
                 ",Number=A,Type=Float,Description=", quoted(describe_score(n, src.run.id, log, both)), ">\n");
    h += "#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\n";
    MS_TRY(file->put(h));
    Site site;
    int64_t lines = 0;
    int64_t max_pos = 0;
    MS_TRY(for_each_variant(src, [&](const StoredVariant& sv) -> Result<void> {
        const Variant& v = sv.v;
        if (!site.alts.empty() && (v.chrom != site.chrom || v.pos != site.pos || v.ref != site.ref)) {
            if (auto put = file->put(vcf_line(site, names)); !put) return put.error();
            ++lines;
            site = Site{};
        }
        if (site.alts.empty()) {
            site.chrom = v.chrom;
            site.pos = v.pos;
            site.ref = v.ref;
        }
        const std::string id = v.name.empty() ? "." : v.name;
        if (id != "." && std::find(site.ids.begin(), site.ids.end(), id) == site.ids.end()) site.ids.push_back(id);
        site.alts.push_back(v.alt);
        site.scores.emplace_back(v.scores.begin(), v.scores.end());
        max_pos = std::max(max_pos, v.pos + int64_t(v.ref.size()));
        return {};
    }));
    if (!site.alts.empty()) {
        MS_TRY(file->put(vcf_line(site, names)));
        ++lines;
    }
    MS_TRY(file->commit(bgzip ? TabixPreset::vcf : TabixPreset::none, max_pos > (int64_t(1) << 29) - 1));
    return cat(plural(count, "variant"), " at ", plural(lines, "site"));
}

}  // namespace ms
