// What the run dialog asks for, and the job it becomes: the app layer's options filled from it
// (app/score_command.h, item_command.h, variants_command.h, mutagenesis_command.h), with the
// equivalent mambascope-cli command line recorded as the run's provenance, so a run started in
// the GUI can be repeated on a cluster word for word.
#pragma once

#include <QString>
#include <optional>

#include "ui/job_queue.h"

namespace ms::ui {

enum class RunTask { score, classify, embed, variants, mutagenesis };
QString toText(RunTask t);

// Which input the task reads, besides the genome.
enum class RunInput { wholeGenome, locus, bed, reads, vcf };

struct RunRequest {
    RunTask task = RunTask::score;
    RunInput input = RunInput::wholeGenome;
    QString model, fasta, db;
    QString locus;       // RunInput::locus: chr1:1,000-2,000
    QString bed;         // RunInput::bed
    QString reads;       // RunInput::reads: BAM, CRAM or FASTQ
    QString vcf, vcfOut; // variants: input VCF and the annotated copy to write
    QString device = QStringLiteral("auto"), precision = QStringLiteral("auto");
    int chunk = 0;                  // 0: the jobs' own (--chunk auto)
    qint64 window = 0, stride = 0;  // classify/embed over a genome or reads: 0 = whole records / reads
    bool withEmbeddings = false;    // classify: store each item's embedding too (classify --embeddings)
    QString strand = QStringLiteral("fwd");
};

// The job, or a sentence saying what is missing or wrong (checked before anything runs; the job
// itself checks the files' contents and reports through the log).
struct MadeJob {
    std::optional<JobSpec> job;
    QString problem;
};
MadeJob makeJob(const RunRequest& r);

}  // namespace ms::ui
