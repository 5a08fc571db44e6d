#include "ui/run_dialog.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>

#include "ui/device_list.h"

namespace ms::ui {

namespace {
// The inputs each task takes, first the usual one.
QList<RunInput> inputsOf(RunTask t) {
    switch (t) {
        case RunTask::score: return {RunInput::wholeGenome, RunInput::locus, RunInput::bed};
        case RunTask::classify:
        case RunTask::embed: return {RunInput::wholeGenome, RunInput::locus, RunInput::reads};
        case RunTask::variants: return {RunInput::vcf};
        case RunTask::mutagenesis: return {RunInput::locus};
    }
    return {};
}

QString inputText(RunTask t, RunInput i) {
    switch (i) {
        case RunInput::wholeGenome:
            return t == RunTask::score ? QObject::tr("Whole genome (every sequence)") : QObject::tr("Genome: each record, or windows of it");
        case RunInput::locus: return QObject::tr("A locus (the view's selection)");
        case RunInput::bed: return QObject::tr("Regions of a BED file");
        case RunInput::reads: return QObject::tr("Reads (BAM, CRAM or FASTQ)");
        case RunInput::vcf: return QObject::tr("Variants of a VCF");
    }
    return {};
}

QString taskHelp(RunTask t) {
    switch (t) {
        case RunTask::score: return QObject::tr("Per-base tracks: log-likelihood, entropy and the four base probabilities.");
        case RunTask::classify: return QObject::tr("A label and class probabilities per record, window or read (the model's classifier head).");
        case RunTask::embed: return QObject::tr("One embedding vector per record, window or read (for the embeddings plot and exports).");
        case RunTask::variants: return QObject::tr("Zero-shot effect (log2 likelihood ratio) of every ALT allele; writes an annotated VCF.");
        case RunTask::mutagenesis: return QObject::tr("Every base of a locus changed to the three others (in-silico saturation mutagenesis).");
    }
    return {};
}
}  // namespace

RunDialog::RunDialog(const AppSettings& settings, const RunRequest& start, QWidget* parent) : QDialog(parent) {
    setWindowTitle(tr("Run Model"));
    setMinimumWidth(620);
    form_ = new QFormLayout;
    form_->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);

    task_ = new QComboBox(this);
    task_->setObjectName(QStringLiteral("runTask"));
    for (RunTask t : {RunTask::score, RunTask::classify, RunTask::embed, RunTask::variants, RunTask::mutagenesis}) {
        task_->addItem(toText(t), int(t));
        task_->setItemData(task_->count() - 1, taskHelp(t), Qt::ToolTipRole);
    }
    form_->addRow(tr("Task:"), task_);
    auto* help = new QLabel(this);
    help->setObjectName(QStringLiteral("runTaskHelp"));
    help->setWordWrap(true);
    // Two lines reserved: the form does not grow a wrapped label's row by itself.
    help->setMinimumHeight(2 * help->fontMetrics().lineSpacing() + 2);
    help->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    help->setStyleSheet(QStringLiteral("color: #505050;"));
    form_->addRow(QString(), help);
    connect(task_, &QComboBox::currentIndexChanged, this, [this, help] {
        help->setText(taskHelp(RunTask(task_->currentData().toInt())));
        updateRows();
    });

    model_ = fileRow(tr("Model:"), QStringLiteral("runModel"), QString(), false, true);
    fasta_ = fileRow(tr("Genome (FASTA):"), QStringLiteral("runFasta"),
                     tr("FASTA (*.fa *.fasta *.fna *.fa.gz *.fasta.gz *.fna.gz);;All files (*)"), false);
    input_ = new QComboBox(this);
    input_->setObjectName(QStringLiteral("runInput"));
    form_->addRow(tr("Input:"), input_);
    connect(input_, &QComboBox::currentIndexChanged, this, &RunDialog::updateRows);
    locus_ = new QLineEdit(this);
    locus_->setObjectName(QStringLiteral("runLocus"));
    locus_->setPlaceholderText(tr("chr1:1,000-2,000 (1-based, inclusive)"));
    form_->addRow(tr("Locus:"), locus_);
    bed_ = fileRow(tr("BED file:"), QStringLiteral("runBed"), tr("BED (*.bed *.bed.gz);;All files (*)"), false);
    reads_ = fileRow(tr("Reads:"), QStringLiteral("runReads"),
                     tr("Reads (*.bam *.cram *.fq *.fastq *.fq.gz *.fastq.gz);;All files (*)"), false);
    vcf_ = fileRow(tr("VCF:"), QStringLiteral("runVcf"), tr("VCF (*.vcf *.vcf.gz *.bcf);;All files (*)"), false);
    vcfOut_ = fileRow(tr("Annotated VCF to write:"), QStringLiteral("runVcfOut"), tr("VCF (*.vcf *.vcf.gz)"), true);

    auto* windowRow = new QHBoxLayout;
    window_ = new QSpinBox(this);
    window_->setObjectName(QStringLiteral("runWindow"));
    window_->setRange(0, 1 << 30);
    window_->setGroupSeparatorShown(true);
    window_->setSpecialValueText(tr("whole records"));
    window_->setSuffix(tr(" bp"));
    stride_ = new QSpinBox(this);
    stride_->setObjectName(QStringLiteral("runStride"));
    stride_->setRange(0, 1 << 30);
    stride_->setGroupSeparatorShown(true);
    stride_->setSpecialValueText(tr("= window"));
    stride_->setSuffix(tr(" bp"));
    windowRow->addWidget(window_, 1);
    windowRow->addWidget(new QLabel(tr("every"), this));
    windowRow->addWidget(stride_, 1);
    form_->addRow(tr("Windows:"), windowRow);

    strand_ = new QComboBox(this);
    strand_->setObjectName(QStringLiteral("runStrand"));
    strand_->addItem(tr("Forward strand"), QStringLiteral("fwd"));
    strand_->addItem(tr("Both strands (mean of the two)"), QStringLiteral("both"));
    form_->addRow(tr("Strand:"), strand_);
    embeddings_ = new QCheckBox(tr("Also store each item's embedding (one pass for both)"), this);
    embeddings_->setObjectName(QStringLiteral("runEmbeddings"));
    form_->addRow(QString(), embeddings_);

    db_ = fileRow(tr("Results database:"), QStringLiteral("runDb"), tr("MambaScope results (*.db);;All files (*)"), true);

    device_ = new QComboBox(this);
    device_->setObjectName(QStringLiteral("runDevice"));
    fillDeviceBox(device_, settings.device);
    form_->addRow(tr("Device:"), device_);
    precision_ = new QComboBox(this);
    precision_->setObjectName(QStringLiteral("runPrecision"));
    fillPrecisionBox(precision_, settings.precision);
    form_->addRow(tr("Precision:"), precision_);

    problem_ = new QLabel(this);
    problem_->setObjectName(QStringLiteral("runProblem"));
    problem_->setWordWrap(true);
    problem_->setStyleSheet(QStringLiteral("color: #b00020;"));
    form_->addRow(problem_);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    QPushButton* run = buttons->addButton(tr("Queue Job"), QDialogButtonBox::AcceptRole);
    run->setObjectName(QStringLiteral("runQueue"));
    run->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &RunDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    form_->addRow(buttons);
    setLayout(form_);

    RunRequest r = start;
    if (r.model.isEmpty()) r.model = settings.modelDir.isEmpty() ? bundledModelDir() : settings.modelDir;
    if (r.device.isEmpty() || r.device == QStringLiteral("auto")) r.device = settings.device;
    if (r.precision.isEmpty() || r.precision == QStringLiteral("auto")) r.precision = settings.precision;
    r.chunk = settings.chunk;
    setRequest(r);
    help->setText(taskHelp(RunTask(task_->currentData().toInt())));
}

QLineEdit* RunDialog::fileRow(const QString& label, const QString& objectName, const QString& filter, bool save, bool dir) {
    auto* edit = new QLineEdit(this);
    edit->setObjectName(objectName);
    auto* browse = new QPushButton(tr("Browse…"), this);
    connect(browse, &QPushButton::clicked, this, [this, edit, filter, save, dir, label, objectName] {
        QString chosen;
        const QString title = QString(label).remove(QLatin1Char(':'));
        if (dir) chosen = QFileDialog::getExistingDirectory(this, title, edit->text());
        // A results database is added to, never replaced: no "replace it?" question for it. Any other
        // file to write (the annotated VCF) is replaced, so the dialog asks.
        else if (save)
            chosen = QFileDialog::getSaveFileName(
                this, title, edit->text(), filter, nullptr,
                objectName == QStringLiteral("runDb") ? QFileDialog::DontConfirmOverwrite : QFileDialog::Options());
        else
            chosen = QFileDialog::getOpenFileName(this, title, edit->text(), filter);
        if (!chosen.isEmpty()) edit->setText(chosen);
    });
    auto* row = new QHBoxLayout;
    row->addWidget(edit, 1);
    row->addWidget(browse);
    form_->addRow(label, row);
    return edit;
}

void RunDialog::updateRows() {
    const RunTask t = RunTask(task_->currentData().toInt());
    const QList<RunInput> inputs = inputsOf(t);
    // Keep the chosen input when the new task takes it too.
    const int previous = input_->currentData().isValid() ? input_->currentData().toInt() : -1;
    if (input_->count() != inputs.size() || input_->itemData(0).toInt() != int(inputs[0])) {
        QSignalBlocker block(input_);
        input_->clear();
        for (RunInput i : inputs) input_->addItem(inputText(t, i), int(i));
        const int at = input_->findData(previous);
        input_->setCurrentIndex(at >= 0 ? at : 0);
    }
    const RunInput in = RunInput(input_->currentData().toInt());
    form_->setRowVisible(input_, inputs.size() > 1);
    form_->setRowVisible(locus_, in == RunInput::locus);
    // Rows whose field is a layout (an edit with its Browse button) are found by the edit.
    auto rowOf = [this](QWidget* w) {
        for (int r = 0; r < form_->rowCount(); ++r) {
            QLayoutItem* item = form_->itemAt(r, QFormLayout::FieldRole);
            if (item && item->layout() && item->layout()->indexOf(w) >= 0) return r;
        }
        return -1;
    };
    auto showEdit = [&](QWidget* e, bool on) {
        if (const int row = rowOf(e); row >= 0) form_->setRowVisible(row, on);
    };
    const bool readsIn = in == RunInput::reads;
    showEdit(fasta_, !readsIn || reads_->text().endsWith(QStringLiteral(".cram"), Qt::CaseInsensitive));
    showEdit(bed_, in == RunInput::bed);
    showEdit(reads_, readsIn);
    showEdit(vcf_, t == RunTask::variants);
    showEdit(vcfOut_, t == RunTask::variants);
    showEdit(window_, t == RunTask::classify || t == RunTask::embed);  // windows of reads too
    form_->setRowVisible(embeddings_, t == RunTask::classify);
    form_->setRowVisible(strand_, t == RunTask::score || t == RunTask::variants);
    adjustSize();
}

void RunDialog::setRequest(const RunRequest& r) {
    task_->setCurrentIndex(qMax(0, task_->findData(int(r.task))));
    updateRows();
    input_->setCurrentIndex(qMax(0, input_->findData(int(r.input))));
    model_->setText(r.model);
    fasta_->setText(r.fasta);
    locus_->setText(r.locus);
    bed_->setText(r.bed);
    reads_->setText(r.reads);
    vcf_->setText(r.vcf);
    vcfOut_->setText(r.vcfOut);
    db_->setText(r.db);
    window_->setValue(int(r.window));
    stride_->setValue(int(r.stride));
    strand_->setCurrentIndex(qMax(0, strand_->findData(r.strand)));
    embeddings_->setChecked(r.withEmbeddings);
    device_->setCurrentIndex(qMax(0, device_->findData(r.device)));
    precision_->setCurrentIndex(qMax(0, precision_->findData(r.precision)));
    chunk_ = r.chunk;
    updateRows();
}

RunRequest RunDialog::request() const {
    RunRequest r;
    r.task = RunTask(task_->currentData().toInt());
    r.input = RunInput(input_->currentData().toInt());
    r.model = model_->text().trimmed();
    r.fasta = fasta_->text().trimmed();
    r.locus = locus_->text().trimmed();
    r.bed = bed_->text().trimmed();
    r.reads = reads_->text().trimmed();
    r.vcf = vcf_->text().trimmed();
    r.vcfOut = vcfOut_->text().trimmed();
    r.db = db_->text().trimmed();
    r.window = window_->value();
    r.stride = stride_->value();
    r.withEmbeddings = embeddings_->isChecked();
    r.strand = strand_->currentData().toString();
    r.device = device_->currentData().toString();
    r.precision = precision_->currentData().toString();
    r.chunk = chunk_;
    return r;
}

QString RunDialog::problem() const { return problem_->text(); }

void RunDialog::accept() {
    MadeJob m = makeJob(request());
    if (!m.job) {
        problem_->setText(m.problem);
        return;
    }
    problem_->clear();
    job_ = std::move(m.job);
    QDialog::accept();
}

}  // namespace ms::ui
