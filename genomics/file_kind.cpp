#include "genomics/file_kind.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "common/ascii.h"
#include "genomics/annotations.h"
#include "genomics/hts_handles.h"

namespace ms {

const char* to_string(FileKind kind) {
    switch (kind) {
        case FileKind::fasta:
            return "FASTA";
        case FileKind::fastq:
            return "FASTQ";
        case FileKind::alignments:
            return "alignments";
        case FileKind::variants:
            return "variants";
        case FileKind::annotations:
            return "annotations";
    }
    return "?";
}

std::optional<FileKind> file_kind_by_name(const std::string& path) {
    std::string name = ascii_lower(path);
    for (const char* z : {".gz", ".bgz", ".bgzf"})
        if (name.ends_with(z)) name.resize(name.size() - std::strlen(z));
    for (const char* e : {".fa", ".fasta", ".fna", ".fas", ".ffn", ".faa", ".fsa", ".mfa"})
        if (name.ends_with(e)) return FileKind::fasta;
    for (const char* e : {".fq", ".fastq"})
        if (name.ends_with(e)) return FileKind::fastq;
    for (const char* e : {".sam", ".bam", ".cram"})
        if (name.ends_with(e)) return FileKind::alignments;
    for (const char* e : {".vcf", ".bcf"})
        if (name.ends_with(e)) return FileKind::variants;
    for (const char* e : {".bed", ".gff", ".gff3", ".gtf"})
        if (name.ends_with(e)) return FileKind::annotations;
    return std::nullopt;
}

Result<struct stat> stat_input(const std::string& path, const char* what) {
    const std::string named = cat(what, *what ? " '" : "'", path, "'");
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return make_error("cannot open ", named, ": ", std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return make_error("cannot read ", named, ": it is a folder, not a file");
    if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISBLK(st.st_mode))
        return make_error(named, " is ",
                          S_ISFIFO(st.st_mode)   ? "a pipe"
                          : S_ISSOCK(st.st_mode) ? "a socket"
                                                 : "a device",
                          ", not a file: inputs are read more than once (their kind recognised, then read; indexed, ",
                          "then fetched), so write it to a file first");
    return st;
}

Result<FileKind> guess_file_kind(const std::string& path) {
    if (auto by_name = file_kind_by_name(path)) return *by_name;  // its reader checks the file, naming the kind
    MS_TRY(stat_input(path, ""));
    errno = 0;
    hts::File f(hts_open(path.c_str(), "r"));
    if (f) {
        switch (hts_get_format(f.get())->format) {
            case fasta_format:
                return FileKind::fasta;
            case fastq_format:
                return FileKind::fastq;
            case sam:
            case bam:
            case cram:
                return FileKind::alignments;
            case vcf:
            case bcf:
                return FileKind::variants;
            case bed:
                return FileKind::annotations;
            default:
                break;
        }
        if (auto fmt = annotation_format(path); fmt && *fmt != AnnotationFormat::bed) return FileKind::annotations;
    } else if (errno != 0 && errno != ENOEXEC) {
        return make_error("cannot open '", path, "': ", std::strerror(errno));
    }
    return make_error("'", path,
                      "' is not a file MambaScope reads: expected FASTA, FASTQ, SAM/BAM/CRAM, VCF/BCF, BED, ",
                      "GFF3 or GTF (named by its extension, or recognisable by its content)");
}

void silence_htslib_messages() { hts_set_log_level(HTS_LOG_OFF); }

}  // namespace ms
