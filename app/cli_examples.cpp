#include "app/cli_examples.h"

#include <CLI/CLI.hpp>
#include <filesystem>
#include <map>
#include <system_error>

namespace ms {

namespace {

namespace fs = std::filesystem;

// Each example runs in seconds on two CPU cores: small loci (--region), the short lambda reads, a
// 60 bp mutagenesis scan. The E. coli loci are around gyrA (NC_000913.2:2,334,815-2,337,442, minus
// strand), the gene of the demo's fluoroquinolone-resistance alleles.
const std::map<std::string, std::vector<CliExample>, std::less<>>& all_examples() {
    static const std::map<std::string, std::vector<CliExample>, std::less<>> examples{
        {"",
         {{"Make the folder the examples write into (they run from the folder holding it)", "mkdir -p out"},
          {"Versions, backends and GPUs, and where the bundled model is", "mambascope-cli --version"}}},
        {"info",
         {{"Describe the demo genome and reads",
           "mambascope-cli info {data}/demo/ecoli_k12_mg1655.fa {data}/demo/ecoli_nanopore.bam"},
          {"Find a gene in the annotation", "mambascope-cli info {data}/demo/ecoli_k12_mg1655.gff3 --find gyrA"},
          {"Describe the bundled model", "mambascope-cli info {data}/models/mambascope-dna-small"}}},
        {"forward",
         {{"Logits of the bundled model over the lambda phage genome (48.5 kbp) as a NumPy array",
           "mambascope-cli forward --model {data}/models/mambascope-dna-small --fasta {data}/demo/lambda_virus.fa "
           "--logits out/lambda.logits.npy"}}},
        {"score",
         {{"Per-base tracks of 10 kbp over gyrA and the genes to its right, with the bundled model (run 1 of "
           "out/gyrA.db)",
           "mambascope-cli score --fasta {data}/demo/ecoli_k12_mg1655.fa --region NC_000913.2:2,334,001-2,344,000 "
           "--db out/gyrA.db"}}},
        {"embed",
         {{"Embeddings of the same 10 kbp in 2 kbp windows (run 2 of out/gyrA.db)",
           "mambascope-cli embed --fasta {data}/demo/ecoli_k12_mg1655.fa --region NC_000913.2:2,334,001-2,344,000 "
           "--window 2000 --db out/gyrA.db"}}},
        {"classify",
         {{"Species of origin of the same 10 kbp in 2 kbp windows (run 3 of out/gyrA.db)",
           "mambascope-cli classify --fasta {data}/demo/ecoli_k12_mg1655.fa --region NC_000913.2:2,334,001-2,344,000 "
           "--window 2000 --db out/gyrA.db"},
          {"One of the ten species for each of the 200 simulated reads of phage lambda (mean 330 bp); lambda "
           "is not among the ten, so the calls only show the mechanics",
           "mambascope-cli classify --reads {data}/demo/lambda_longreads.fq --db out/reads.db"}}},
        {"merge",
         {{"Score a genome in two shards (whole records, balanced by length: the one-record lambda genome all "
           "lands in shard 1) and join them",
           "mambascope-cli score --fasta {data}/demo/lambda_virus.fa --shard 1/2 --db out/shard1.db"},
          {"", "mambascope-cli score --fasta {data}/demo/lambda_virus.fa --shard 2/2 --db out/shard2.db"},
          {"", "mambascope-cli merge --out out/lambda.db out/shard1.db out/shard2.db"}}},
        {"export",
         {{"The log-likelihood track of the score example as bigWig",
           "mambascope-cli export --db out/gyrA.db --run 1 --track loglik --out out/gyrA.loglik.bw"},
          {"Stretches of 20 bp or more where every base scores a log-likelihood of -1.6 or less (harder to predict) as "
           "BED",
           "mambascope-cli export --db out/gyrA.db --run 1 --track loglik --below -1.6 --min-length 20 "
           "--out out/gyrA.surprising.bed"},
          {"The embeddings of the embed example as .npy (a .index.tsv beside it names the rows)",
           "mambascope-cli export --db out/gyrA.db --run 2 --embeddings --out out/gyrA.embeddings.npy"},
          {"The read classes of the classify example as TSV",
           "mambascope-cli export --db out/reads.db --predictions --out out/reads.tsv"}}},
        {"neighbours",
         {{"The 2 kbp windows of the embed example most like the one over gyrA's start (cosine similarity of "
           "their embeddings)",
           "mambascope-cli neighbours --db out/gyrA.db --run 2 --locus NC_000913.2:2,337,000 --k 4"}}},
        {"variants",
         {{"Score the demo's resistance alleles (INFO/MS_LLR in the output VCF, and a run of out/alleles.db)",
           "mambascope-cli variants --fasta {data}/demo/ecoli_k12_mg1655.fa --vcf "
           "{data}/demo/ecoli_known_alleles.vcf.gz "
           "--out out/alleles.scored.vcf.gz --db out/alleles.db"}}},
        {"mutagenesis",
         {{"Every other base at each of 60 positions around gyrA codon 83 (tracks ism_A..ism_T, and a TSV)",
           "mambascope-cli mutagenesis --fasta {data}/demo/ecoli_k12_mg1655.fa --region "
           "NC_000913.2:2,337,171-2,337,230 "
           "--db out/gyrA.db --out out/gyrA.ism.tsv"}}},
        {"delete-run",
         {{"Remove the classify example's run (run 3 of out/gyrA.db) with everything it holds, and shrink the file",
           "mambascope-cli delete-run --db out/gyrA.db --run 3 --vacuum"}}},
        {"bench",
         {{"Engine speed against the BLAS on one small shape",
           "mambascope-cli bench --shape 128x8 --chunk 4096 --seconds 0.5"}}},
    };
    return examples;
}

}  // namespace

const std::vector<CliExample>& cli_examples(std::string_view command) {
    static const std::vector<CliExample> none;
    const auto& all = all_examples();
    const auto it = all.find(command);
    return it == all.end() ? none : it->second;
}

std::string expand_example(const std::string& command, const std::string& data_dir) {
    static const std::string placeholder = "{data}";
    std::string out = command;
    for (std::size_t at = out.find(placeholder); at != std::string::npos; at = out.find(placeholder, at + data_dir.size()))
        out.replace(at, placeholder.size(), data_dir);
    return out;
}

std::string example_data_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        const fs::path installed = (exe.parent_path() / ".." / "share" / "mambascope").lexically_normal();
        if (fs::is_directory(installed / "demo", ec)) return installed.string();
    }
    return "resources";
}

namespace {

std::string examples_text(const std::vector<CliExample>& examples, const std::string& data_dir) {
    std::string text = "Examples:\n";
    for (const CliExample& e : examples) {
        if (!e.what.empty()) text += "  " + e.what + ":\n";
        text += "    " + expand_example(e.command, data_dir) + "\n";
    }
    return text;
}

}  // namespace

void add_example_footers(CLI::App& app, const std::string& data_dir) {
    const std::string inherited = app.get_footer();
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
        const auto& examples = cli_examples(sub->get_name());
        if (examples.empty()) continue;
        const std::string own = sub->get_footer() == inherited ? std::string() : sub->get_footer();
        sub->footer((own.empty() ? "" : own + "\n\n") + examples_text(examples, data_dir));
    }
    if (const auto& examples = cli_examples(""); !examples.empty())
        app.footer(examples_text(examples, data_dir) + (inherited.empty() ? "" : "\n" + inherited));
}

}  // namespace ms
