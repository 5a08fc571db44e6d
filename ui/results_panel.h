// The results browser: the runs of the open results database with their provenance, and for the
// selected run its predictions (filter by label, score range, region and text; sort by column),
// its scored variants (filter by a score's range or strength, region and ID; sort by column), a 2-D projection of its
// embeddings, and a histogram of any numeric column. Selecting a row or clicking a dot asks the genome view to go there
// (locusRequested).
#pragma once

#include <QWidget>

#include "ui/log_panel.h"

class QComboBox;
class QLabel;
class QLineEdit;
class QTabWidget;
class QTableView;
class QTimer;

namespace ms::ui {

class EmbeddingPlot;
class HistogramPlot;
class PredictionsModel;
class RunsModel;
class VariantsModel;

class ResultsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ResultsPanel(QWidget* parent = nullptr);

    void setDatabase(const QString& path);
    QString database() const;
    void selectRun(qint64 runId);
    qint64 currentRun() const { return run_; }

    RunsModel* runsModel() const { return runs_; }
    PredictionsModel* predictionsModel() const { return predictions_; }
    VariantsModel* variantsModel() const { return variants_; }
    EmbeddingPlot* embeddingPlot() const { return plot_; }
    HistogramPlot* histogram() const { return histogram_; }
    QTableView* runsView() const { return runsView_; }
    QTableView* predictionsView() const { return predictionsView_; }
    void setPlotColors(const QColor& plot, const QColor& highlight);

public slots:
    // The database changed on disk (a job wrote to it): runs reload; the selected run's tables too
    // when it is the run that changed (it was running, or `finishedRun` names it).
    void refresh(qint64 finishedRun = 0);

signals:
    void locusRequested(const QString& locus);
    void runSelected(qint64 runId);
    void message(ms::ui::LogLevel level, const QString& text);
    void embeddingsShown(int points);   // the plot got its points (tests wait on it)
    void histogramShown(int values);

private:
    void onRunChanged();
    void applyFilter();
    void applyVariantFilter();
    void loadEmbeddings();
    void loadHistogram();
    void fillColumnChoices();
    QWidget* buildPredictionsTab();
    QWidget* buildVariantsTab();

    RunsModel* runs_ = nullptr;
    PredictionsModel* predictions_ = nullptr;
    VariantsModel* variants_ = nullptr;
    QTableView* runsView_ = nullptr;
    QTableView* predictionsView_ = nullptr;
    QTableView* variantsView_ = nullptr;
    QTabWidget* tabs_ = nullptr;
    QLabel* dbLabel_ = nullptr;
    QLabel* countLabel_ = nullptr;
    QComboBox* labelFilter_ = nullptr;
    QLineEdit* minScore_ = nullptr;
    QLineEdit* maxScore_ = nullptr;
    QLineEdit* region_ = nullptr;
    QLineEdit* search_ = nullptr;
    QTimer* filterTimer_ = nullptr;
    QComboBox* variantScore_ = nullptr;
    QLineEdit* variantMin_ = nullptr;
    QLineEdit* variantMax_ = nullptr;
    QLineEdit* variantMinAbs_ = nullptr;
    QLineEdit* variantRegion_ = nullptr;
    QLineEdit* variantSearch_ = nullptr;
    QLabel* variantCount_ = nullptr;
    EmbeddingPlot* plot_ = nullptr;
    QComboBox* colorBy_ = nullptr;
    QLabel* plotStatus_ = nullptr;
    HistogramPlot* histogram_ = nullptr;
    QComboBox* column_ = nullptr;
    qint64 run_ = 0;
    bool runWasRunning_ = false;
    quint64 embeddingGeneration_ = 0, histogramGeneration_ = 0;
};

}  // namespace ms::ui
