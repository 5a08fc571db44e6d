// Run ▸ Run Model: which model, which task (score, classify, embed, variants, mutagenesis), on
// which input (the genome, a locus, a BED file, reads, a VCF), on which device and precision,
// into which results database. The dialog only asks; the job queue runs what it makes.
#pragma once

#include <QDialog>
#include <optional>

#include "ui/app_settings.h"
#include "ui/run_request.h"

class QCheckBox;
class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace ms::ui {

class RunDialog : public QDialog {
    Q_OBJECT
public:
    // `start`: what the window knows already (open genome, database, the view's locus); model,
    // device, precision and chunk come from `settings` when `start` leaves them empty.
    RunDialog(const AppSettings& settings, const RunRequest& start, QWidget* parent = nullptr);

    void setRequest(const RunRequest& r);
    RunRequest request() const;
    // After accept(): the job to queue.
    std::optional<JobSpec> takeJob() { return std::move(job_); }
    QString problem() const;   // the last reason accept() refused, for tests

public slots:
    void accept() override;

private:
    void updateRows();
    QLineEdit* fileRow(const QString& label, const QString& objectName, const QString& filter, bool save, bool dir = false);
    QFormLayout* form_ = nullptr;
    QComboBox* task_ = nullptr;
    QComboBox* input_ = nullptr;
    QLineEdit* model_ = nullptr;
    QLineEdit* fasta_ = nullptr;
    QLineEdit* locus_ = nullptr;
    QLineEdit* bed_ = nullptr;
    QLineEdit* reads_ = nullptr;
    QLineEdit* vcf_ = nullptr;
    QLineEdit* vcfOut_ = nullptr;
    QLineEdit* db_ = nullptr;
    QSpinBox* window_ = nullptr;
    QSpinBox* stride_ = nullptr;
    QComboBox* strand_ = nullptr;
    QCheckBox* embeddings_ = nullptr;
    QComboBox* device_ = nullptr;
    QComboBox* precision_ = nullptr;
    QLabel* problem_ = nullptr;
    int chunk_ = 0;
    std::optional<JobSpec> job_;
};

}  // namespace ms::ui
