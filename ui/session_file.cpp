#include "ui/session_file.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace ms::ui {

namespace {
struct PathField {
    const char* key;
    QString Session::*member;
};
const PathField kPaths[] = {{"genome", &Session::genome}, {"results", &Session::results}, {"model", &Session::model}};
struct ListField {
    const char* key;
    QStringList Session::*member;
};
const ListField kLists[] = {
    {"reads", &Session::reads}, {"variants", &Session::variants}, {"annotations", &Session::annotations}};
}  // namespace

bool saveSession(const Session& s, const QString& path, QString* error) {
    const QDir base = QFileInfo(path).absoluteDir();
    QJsonObject o;
    o.insert(QStringLiteral("mambascope_session"), kSessionVersion);
    for (const PathField& f : kPaths) {
        const QString& p = s.*f.member;
        // Relative with '/' on every system, so a session written on one machine opens on another.
        if (!p.isEmpty()) o.insert(QLatin1String(f.key), base.relativeFilePath(QFileInfo(p).absoluteFilePath()));
    }
    for (const ListField& f : kLists) {
        QJsonArray paths;
        for (const QString& p : s.*f.member) paths.append(base.relativeFilePath(QFileInfo(p).absoluteFilePath()));
        if (!paths.isEmpty()) o.insert(QLatin1String(f.key), paths);
    }
    if (!s.locus.isEmpty()) o.insert(QStringLiteral("locus"), s.locus);
    if (s.run > 0) o.insert(QStringLiteral("run"), s.run);
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (error) *error = QObject::tr("cannot write session '%1': %2").arg(path, file.errorString());
        return false;
    }
    file.write(QJsonDocument(o).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (error) *error = QObject::tr("cannot write session '%1': %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

std::optional<Session> loadSession(const QString& path, QString* error) {
    auto fail = [&](const QString& why) -> std::optional<Session> {
        if (error) *error = QObject::tr("session '%1': %2").arg(path, why);
        return std::nullopt;
    };
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) return fail(file.errorString());
    QJsonParseError pe;
    const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &pe);
    if (pe.error != QJsonParseError::NoError)
        return fail(QObject::tr("not valid JSON at byte %1 (%2)").arg(pe.offset).arg(pe.errorString()));
    if (!doc.isObject()) return fail(QObject::tr("expected a JSON object"));
    const QJsonObject o = doc.object();
    const QJsonValue version = o.value(QStringLiteral("mambascope_session"));
    if (!version.isDouble())
        return fail(QObject::tr("not a MambaScope session (no \"mambascope_session\" version number)"));
    if (version.toInt() < 1 || version.toInt() > kSessionVersion)
        return fail(QObject::tr("session version %1; this MambaScope reads versions 1 to %2")
                        .arg(version.toInt())
                        .arg(kSessionVersion));
    const QDir base = QFileInfo(path).absoluteDir();
    Session s;
    for (const PathField& f : kPaths) {
        const QJsonValue v = o.value(QLatin1String(f.key));
        if (v.isUndefined() || v.isNull()) continue;
        if (!v.isString()) return fail(QObject::tr("\"%1\" must be a path (a string)").arg(QLatin1String(f.key)));
        s.*f.member = QDir::cleanPath(base.absoluteFilePath(v.toString()));
    }
    for (const ListField& f : kLists) {  // a path (version 1) or a list of them
        const QJsonValue v = o.value(QLatin1String(f.key));
        if (v.isUndefined() || v.isNull()) continue;
        const QJsonArray items = v.isArray() ? v.toArray() : QJsonArray{v};
        for (const QJsonValue& item : items) {
            if (!item.isString())
                return fail(QObject::tr("\"%1\" must be a path or a list of paths").arg(QLatin1String(f.key)));
            (s.*f.member).append(QDir::cleanPath(base.absoluteFilePath(item.toString())));
        }
    }
    const QJsonValue locus = o.value(QStringLiteral("locus"));
    if (!locus.isUndefined() && !locus.isString()) return fail(QObject::tr("\"locus\" must be a string"));
    s.locus = locus.toString();
    const QJsonValue run = o.value(QStringLiteral("run"));
    if (!run.isUndefined() && !run.isDouble()) return fail(QObject::tr("\"run\" must be a run number"));
    s.run = qint64(run.toDouble());
    return s;
}

}  // namespace ms::ui
