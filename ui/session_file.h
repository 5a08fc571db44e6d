// A session: what is open (genome, results database, model, reads, variants, annotations), where
// the view is, and which run is selected, saved as JSON beside the data with paths relative to the
// session file — so a folder of data and its session can be moved or shared as a whole.
//
//   {"mambascope_session": 2, "genome": "genome/lambda.fa", "results": "lambda.db", "run": 3,
//    "locus": "NC_001416.1:1-5,000", "reads": ["a.bam", "b.bam"], ...}
//
// Version 2 keeps every reads, variants and annotations file the window has open (lists; version 1
// kept one of each, the last opened: a session of two BAMs came back with one). Version 1 files
// are read too.
#pragma once

#include <QString>
#include <QStringList>
#include <optional>

namespace ms::ui {

struct Session {
    QString genome, results, model;            // absolute paths; empty: none
    QStringList reads, variants, annotations;  // absolute paths, in the order they were opened
    QString locus;
    qint64 run = 0;
    bool operator==(const Session&) const = default;
};

inline constexpr int kSessionVersion = 2;

// Writes atomically (QSaveFile). On failure returns false and says why in `error`.
bool saveSession(const Session& s, const QString& path, QString* error);
// Paths come back absolute, resolved against the session file's folder. Errors name the file and
// what is wrong (not JSON, at which offset; another version; a field of the wrong type).
std::optional<Session> loadSession(const QString& path, QString* error);

}  // namespace ms::ui
