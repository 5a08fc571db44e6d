// File ▸ Export Results: every format of `mambascope-cli export` (app/export_command.h) — a track
// as bigWig, bedGraph or BED regions called from it, predictions and variants as TSV/CSV,
// variants as VCF, embeddings as .npy — for one run of the open results database. The export
// runs on a worker thread through the same run_export the CLI calls.
#pragma once

#include <QDialog>
#include <vector>

#include "app/export_command.h"
#include "ui/log_panel.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ms::ui {

class ExportDialog : public QDialog {
    Q_OBJECT
public:
    ExportDialog(const QString& db, qint64 runId, QWidget* parent = nullptr);

    // The options the dialog holds now (what `export` would be called with).
    ExportOptions options() const;
    bool busy() const { return busy_; }
    void setRun(qint64 runId);
    void setWhat(const QString& what);     // "track", "predictions", "embeddings", "variants"
    void setTrack(const QString& name);
    void setFormat(const QString& format); // bigwig, bedgraph, bed, tsv, csv, npy, vcf
    void setOutput(const QString& path);
    void setRegion(const QString& locus);

public slots:
    void startExport();

signals:
    void runsLoaded();
    void exported(bool ok, const QString& message);
    void message(ms::ui::LogLevel level, const QString& text);

private:
    void updateFormats();
    void updateRows();
    struct RunChoice {
        qint64 id = 0;
        QString label;
        QStringList tracks;
        QString task;
    };
    QString db_;
    qint64 wantedRun_ = 0;
    std::vector<RunChoice> runs_;
    QFormLayout* form_ = nullptr;
    QComboBox* run_ = nullptr;
    QComboBox* what_ = nullptr;
    QComboBox* track_ = nullptr;
    QComboBox* format_ = nullptr;
    QLineEdit* out_ = nullptr;
    QLineEdit* region_ = nullptr;
    QCheckBox* merge_ = nullptr;
    QCheckBox* bgzip_ = nullptr;
    QComboBox* direction_ = nullptr;
    QDoubleSpinBox* threshold_ = nullptr;
    QSpinBox* minLength_ = nullptr;
    QLineEdit* name_ = nullptr;
    QLabel* status_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    bool busy_ = false;
    // The output name follows run, track and format (DB.run3.loglik.bw) until the user names the
    // file: one default for every export replaced the previous one.
    bool userNamed_ = false;
    // A file that exists is replaced only after a second Export (or the file dialog's own
    // question): this is the path that was confirmed.
    QString confirmedReplace_;
};

}  // namespace ms::ui
