#include "app/export_output.h"

#include <charconv>
#include <cmath>

#include "app/interrupt.h"

namespace ms {

namespace {
constexpr size_t kFlushBytes = 1 << 20;
}

TextOutput::TextOutput(std::string path, std::optional<AtomicFile> plain, std::optional<BgzipWriter> gz)
    : path_(std::move(path)), plain_(std::move(plain)), gz_(std::move(gz)) {}
TextOutput::TextOutput(TextOutput&&) noexcept = default;
TextOutput::~TextOutput() = default;

Result<TextOutput> TextOutput::create(const std::string& path, bool bgzip) {
    if (bgzip) {
        auto gz = BgzipWriter::create(path);
        if (!gz) return gz.error();
        return TextOutput(path, std::nullopt, std::move(*gz));
    }
    auto f = AtomicFile::create(path);
    if (!f) return f.error();
    return TextOutput(path, std::move(*f), std::nullopt);
}

Result<void> TextOutput::drain() {
    // Every text export passes here about once a MiB: the place to stop on Ctrl-C or SIGTERM (the
    // temporary file goes with this output; an earlier file of the name stays).
    if (interrupted()) return make_error("interrupted; '", path_, "' was not written");
    if (buffer_.empty()) return {};
    if (gz_)
        MS_TRY(gz_->write(buffer_));
    else
        MS_TRY(plain_->write(buffer_.data(), buffer_.size()));
    buffer_.clear();
    return {};
}

Result<void> TextOutput::put(std::string_view text) {
    buffer_ += text;
    if (buffer_.size() >= kFlushBytes) return drain();
    return {};
}

Result<void> TextOutput::commit(TabixPreset index, bool csi) {
    MS_TRY(drain());
    if (gz_) return gz_->commit(index, csi);
    return plain_->commit();
}

std::string format_number(float v) {
    if (std::isnan(v)) return "NA";
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

std::string format_number(double v) {
    if (std::isnan(v)) return "NA";
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

Result<std::string> table_field(std::string_view text, TableSyntax syntax, std::string_view what) {
    if (syntax == TableSyntax::tsv) {
        if (text.find_first_of("\t\r\n") != std::string_view::npos)
            return make_error(what, " '", text,
                              "' holds a tab or line break, which a TSV field cannot; export as --format csv");
        return std::string(text);
    }
    if (text.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(text);
    std::string q = "\"";
    for (char c : text) {
        if (c == '"') q += '"';
        q += c;
    }
    return q + "\"";
}

}  // namespace ms
