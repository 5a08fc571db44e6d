#include "ui/export_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "ui/background.h"
#include "ui/results_models.h"

namespace ms::ui {

namespace {
struct FormatInfo {
    const char* id;
    const char* text;
    const char* ext;
};
const FormatInfo kFormats[] = {
    {"bigwig", "bigWig (.bw) — genome browsers", ".bw"},
    {"bedgraph", "bedGraph (.bedgraph) — text, one line per base or run", ".bedgraph"},
    {"bed", "BED regions called where the track passes a threshold", ".bed"},
    {"tsv", "TSV (tab-separated)", ".tsv"},
    {"csv", "CSV (comma-separated)", ".csv"},
    {"npy", "NumPy array (.npy) + index of items", ".npy"},
    {"vcf", "VCF with MS_* INFO fields", ".vcf"},
};

QStringList formatsFor(const QString& what) {
    if (what == QStringLiteral("track")) return {"bigwig", "bedgraph", "bed"};
    if (what == QStringLiteral("predictions")) return {"tsv", "csv"};
    if (what == QStringLiteral("embeddings")) return {"npy"};
    return {"vcf", "tsv", "csv"};
}

const FormatInfo& formatInfo(const QString& id) {
    for (const FormatInfo& f : kFormats)
        if (id == QLatin1String(f.id)) return f;
    return kFormats[0];
}
}  // namespace

ExportDialog::ExportDialog(const QString& db, qint64 runId, QWidget* parent) : QDialog(parent), db_(db), wantedRun_(runId) {
    setWindowTitle(tr("Export Results"));
    setMinimumWidth(600);
    form_ = new QFormLayout;
    form_->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    auto* dbLabel = new QLabel(QFileInfo(db).fileName(), this);
    dbLabel->setToolTip(db);
    form_->addRow(tr("Results database:"), dbLabel);

    run_ = new QComboBox(this);
    run_->setObjectName(QStringLiteral("exportRun"));
    form_->addRow(tr("Run:"), run_);
    what_ = new QComboBox(this);
    what_->setObjectName(QStringLiteral("exportWhat"));
    what_->addItem(tr("A per-base track"), QStringLiteral("track"));
    what_->addItem(tr("Predictions (labels and class probabilities)"), QStringLiteral("predictions"));
    what_->addItem(tr("Embeddings"), QStringLiteral("embeddings"));
    what_->addItem(tr("Scored variants"), QStringLiteral("variants"));
    form_->addRow(tr("Export:"), what_);
    track_ = new QComboBox(this);
    track_->setObjectName(QStringLiteral("exportTrack"));
    form_->addRow(tr("Track:"), track_);
    format_ = new QComboBox(this);
    format_->setObjectName(QStringLiteral("exportFormat"));
    form_->addRow(tr("Format:"), format_);

    out_ = new QLineEdit(this);
    out_->setObjectName(QStringLiteral("exportOut"));
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this] {
        const FormatInfo& f = formatInfo(format_->currentData().toString());
        const QString p = QFileDialog::getSaveFileName(this, tr("Export to"), out_->text(),
                                                       QStringLiteral("%1 (*%2 *%2.gz);;All files (*)").arg(tr(f.text), f.ext));
        if (!p.isEmpty()) {
            out_->setText(p);
            userNamed_ = true;
            confirmedReplace_ = p;  // the file dialog asked before picking an existing file
        }
    });
    connect(out_, &QLineEdit::textEdited, this, [this] { userNamed_ = true; });
    auto* outRow = new QHBoxLayout;
    outRow->addWidget(out_, 1);
    outRow->addWidget(browse);
    form_->addRow(tr("Write to:"), outRow);

    region_ = new QLineEdit(this);
    region_->setObjectName(QStringLiteral("exportRegion"));
    region_->setPlaceholderText(tr("everything; or a locus, e.g. chr1:1,000-2,000"));
    form_->addRow(tr("Region:"), region_);

    merge_ = new QCheckBox(tr("one line per run of equal neighbouring values (smaller file)"), this);
    merge_->setObjectName(QStringLiteral("exportMerge"));
    form_->addRow(tr("bedGraph:"), merge_);
    bgzip_ = new QCheckBox(tr("compress with bgzip and write a tabix index"), this);
    bgzip_->setObjectName(QStringLiteral("exportBgzip"));
    form_->addRow(tr("Compression:"), bgzip_);
    auto* callRow = new QHBoxLayout;
    direction_ = new QComboBox(this);
    direction_->setObjectName(QStringLiteral("exportDirection"));
    direction_->addItem(tr("value ≥"), QStringLiteral("above"));
    direction_->addItem(tr("value ≤"), QStringLiteral("below"));
    threshold_ = new QDoubleSpinBox(this);
    threshold_->setObjectName(QStringLiteral("exportThreshold"));
    threshold_->setRange(-1e9, 1e9);
    threshold_->setDecimals(4);
    minLength_ = new QSpinBox(this);
    minLength_->setObjectName(QStringLiteral("exportMinLength"));
    minLength_->setRange(1, 1 << 30);
    minLength_->setSuffix(tr(" bp"));
    callRow->addWidget(direction_);
    callRow->addWidget(threshold_, 1);
    callRow->addWidget(new QLabel(tr("at least"), this));
    callRow->addWidget(minLength_, 1);
    form_->addRow(tr("Call regions where:"), callRow);
    name_ = new QLineEdit(this);
    name_->setObjectName(QStringLiteral("exportName"));
    name_->setPlaceholderText(tr("region names NAME1, NAME2 … (default: the track's name)"));
    form_->addRow(tr("Region names:"), name_);

    status_ = new QLabel(this);
    status_->setObjectName(QStringLiteral("exportStatus"));
    status_->setWordWrap(true);
    status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    form_->addRow(status_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    exportButton_ = buttons->addButton(tr("Export"), QDialogButtonBox::ApplyRole);
    exportButton_->setObjectName(QStringLiteral("exportButton"));
    exportButton_->setDefault(true);
    connect(exportButton_, &QPushButton::clicked, this, &ExportDialog::startExport);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form_->addRow(buttons);
    setLayout(form_);

    connect(what_, &QComboBox::currentIndexChanged, this, &ExportDialog::updateFormats);
    connect(format_, &QComboBox::currentIndexChanged, this, &ExportDialog::updateRows);
    connect(run_, &QComboBox::currentIndexChanged, this, [this] {
        const int i = run_->currentIndex();
        track_->clear();
        if (i < 0 || i >= int(runs_.size())) return;
        track_->addItems(runs_[size_t(i)].tracks);
        // Offer what this run has: a score run's tracks, a classify run's predictions ...
        const QString task = runs_[size_t(i)].task;
        const QString what = task == QStringLiteral("classify") ? QStringLiteral("predictions")
                             : task == QStringLiteral("embed")  ? QStringLiteral("embeddings")
                             : task == QStringLiteral("variants") ? QStringLiteral("variants")
                                                                  : QStringLiteral("track");
        what_->setCurrentIndex(what_->findData(what));
        updateRows();  // the default name holds the run
    });
    connect(track_, &QComboBox::currentIndexChanged, this, &ExportDialog::updateRows);
    updateFormats();

    status_->setText(tr("Reading the runs…"));
    struct Loaded {
        std::vector<RunChoice> runs;
        QString error;
    };
    runInBackground(this, [db] {
        Loaded l;
        auto store = ResultsStore::open(db.toStdString(), ResultsStore::Mode::read_only);
        if (!store) return Loaded{{}, QString::fromStdString(store.error().message)};
        auto runs = store->list_runs();
        if (!runs) return Loaded{{}, QString::fromStdString(runs.error().message)};
        for (const RunRecord& r : *runs) {
            RunChoice c;
            c.id = r.id;
            c.task = RunsModel::taskOf(r);
            c.label = tr("run %1 — %2, %3 (%4)").arg(r.id).arg(c.task, QString::fromStdString(r.info.model_name),
                                                      QString::fromLatin1(to_string(r.status)));
            auto tracks = store->list_tracks(r.id);
            if (!tracks) return Loaded{{}, QString::fromStdString(tracks.error().message)};
            for (const StoredTrack& t : *tracks) c.tracks << QString::fromStdString(t.name);
            l.runs.push_back(std::move(c));
        }
        return l;
    }, [this](Loaded l) {
        if (!l.error.isEmpty()) {
            status_->setText(l.error);
            emit message(LogLevel::error, l.error);
            return;
        }
        runs_ = std::move(l.runs);
        status_->setText(runs_.empty() ? tr("This database has no runs yet.") : QString());
        QSignalBlocker block(run_);
        run_->clear();
        for (const RunChoice& c : runs_) run_->addItem(c.label, c.id);
        block.unblock();
        const int at = run_->findData(wantedRun_);
        run_->setCurrentIndex(-1);
        run_->setCurrentIndex(at >= 0 ? at : run_->count() - 1);
        emit runsLoaded();
    });
}

void ExportDialog::updateFormats() {
    const QString what = what_->currentData().toString();
    const QString current = format_->currentData().toString();
    QSignalBlocker block(format_);
    format_->clear();
    for (const QString& f : formatsFor(what)) format_->addItem(tr(formatInfo(f).text), f);
    format_->setCurrentIndex(qMax(0, format_->findData(current)));
    block.unblock();
    updateRows();
}

void ExportDialog::updateRows() {
    const QString what = what_->currentData().toString();
    const QString format = format_->currentData().toString();
    form_->setRowVisible(track_, what == QStringLiteral("track"));
    form_->setRowVisible(merge_, format == QStringLiteral("bedgraph"));
    form_->setRowVisible(bgzip_, format == QStringLiteral("bedgraph") || format == QStringLiteral("bed"));
    for (int r = 0; r < form_->rowCount(); ++r) {
        QLayoutItem* item = form_->itemAt(r, QFormLayout::FieldRole);
        if (item && item->layout() && item->layout()->indexOf(threshold_) >= 0) form_->setRowVisible(r, format == QStringLiteral("bed"));
    }
    form_->setRowVisible(name_, format == QStringLiteral("bed"));
    // Follow the format in the file name's extension, unless the user typed another name.
    const QString ext = QString::fromLatin1(formatInfo(format).ext);
    QString out = out_->text();
    if (!userNamed_) {
        // DB.run3.loglik.bw, DB.run5.predictions.tsv: each export its own file.
        QString part = what;
        if (what == QStringLiteral("track") && !track_->currentText().isEmpty()) part = track_->currentText();
        const QString run =
            run_->currentIndex() >= 0 ? QStringLiteral(".run%1").arg(run_->currentData().toLongLong()) : QString();
        const bool gz =
            out.endsWith(QStringLiteral(".gz")) && (format == QStringLiteral("bedgraph") ||
                                                    format == QStringLiteral("bed") || format == QStringLiteral("vcf"));
        out_->setText(QFileInfo(db_).path() + QLatin1Char('/') + QFileInfo(db_).completeBaseName() + run +
                      QLatin1Char('.') + part + ext + (gz ? QStringLiteral(".gz") : QString()));
    } else if (!out.isEmpty()) {
        const bool gz = out.endsWith(QStringLiteral(".gz"));
        if (gz) out.chop(3);
        const QFileInfo fi(out);
        for (const FormatInfo& f : kFormats)
            if (out.endsWith(QLatin1String(f.ext))) {
                out = fi.path() + QLatin1Char('/') + fi.completeBaseName() + ext;
                break;
            }
        out_->setText(out + (gz && (format == QStringLiteral("bedgraph") || format == QStringLiteral("bed") || format == QStringLiteral("vcf"))
                                 ? QStringLiteral(".gz") : QString()));
    } else {
        out_->setText(QFileInfo(db_).path() + QLatin1Char('/') + QFileInfo(db_).completeBaseName() + QStringLiteral(".export") + ext);
    }
}

void ExportDialog::setRun(qint64 runId) {
    wantedRun_ = runId;
    const int at = run_->findData(runId);
    if (at >= 0) run_->setCurrentIndex(at);
}
void ExportDialog::setWhat(const QString& what) { what_->setCurrentIndex(qMax(0, what_->findData(what))); }
void ExportDialog::setTrack(const QString& name) { track_->setCurrentIndex(qMax(0, track_->findText(name))); }
void ExportDialog::setFormat(const QString& format) { format_->setCurrentIndex(qMax(0, format_->findData(format))); }
void ExportDialog::setOutput(const QString& path) {
    out_->setText(path);
    userNamed_ = true;
}
void ExportDialog::setRegion(const QString& locus) { region_->setText(locus); }

ExportOptions ExportDialog::options() const {
    ExportOptions o;
    o.db = db_.toStdString();
    o.out = out_->text().trimmed().toStdString();
    o.format = format_->currentData().toString().toStdString();
    if (run_->currentIndex() >= 0) o.run = run_->currentData().toLongLong();
    const QString what = what_->currentData().toString();
    if (what == QStringLiteral("track")) o.track = track_->currentText().toStdString();
    o.predictions = what == QStringLiteral("predictions");
    o.embeddings = what == QStringLiteral("embeddings");
    o.variants = what == QStringLiteral("variants");
    o.region = region_->text().trimmed().toStdString();  // embeddings too: those of windows in it
    o.merge = o.format == "bedgraph" && merge_->isChecked();
    o.bgzip = (o.format == "bedgraph" || o.format == "bed") && bgzip_->isChecked();
    if (o.format == "bed") {
        (direction_->currentData().toString() == QStringLiteral("above") ? o.above : o.below) = threshold_->value();
        o.min_length = minLength_->value();
        o.name = name_->text().trimmed().toStdString();
    }
    return o;
}

void ExportDialog::startExport() {
    if (busy_) return;
    const ExportOptions o = options();
    if (o.out.empty()) {
        status_->setText(tr("Choose the file to write."));
        return;
    }
    // An existing file is replaced only when asked twice: Export said so once, or the file
    // dialog asked (an export silently replaced an earlier one of the same default name).
    const QString out = QString::fromStdString(o.out);
    if (QFileInfo::exists(out) && confirmedReplace_ != out) {
        confirmedReplace_ = out;
        status_->setStyleSheet(QStringLiteral("color: #b00020;"));
        status_->setText(tr("'%1' exists: press Export again to replace it, or choose another name.").arg(out));
        exportButton_->setText(tr("Replace"));
        return;
    }
    if (what_->currentData().toString() == QStringLiteral("track") && o.track.empty()) {
        status_->setText(tr("Run %1 has no per-base tracks; choose another run or export its predictions, embeddings or variants.")
                             .arg(run_->currentData().toLongLong()));
        return;
    }
    busy_ = true;
    exportButton_->setText(tr("Export"));
    confirmedReplace_.clear();
    exportButton_->setEnabled(false);
    status_->setText(tr("Exporting…"));
    struct Done {
        bool ok = false;
        QString text;
    };
    runInBackground(this, [o] {
        const Result<std::string> r = run_export(o);
        return r ? Done{true, QString::fromStdString(*r)} : Done{false, QString::fromStdString(r.error().message)};
    }, [this](Done d) {
        busy_ = false;
        exportButton_->setEnabled(true);
        status_->setStyleSheet(d.ok ? QString() : QStringLiteral("color: #b00020;"));
        status_->setText(d.text);
        emit message(d.ok ? LogLevel::info : LogLevel::error, d.ok ? d.text : tr("export failed: %1").arg(d.text));
        emit exported(d.ok, d.text);
    });
}

}  // namespace ms::ui
