// The job queue: jobs run one after another on a worker thread, through the app layer's job
// functions (app/job_control.h) — the same code the CLI runs. Progress comes back by queued
// signals at most ten times a second; cancel sets the job's flag and the job stops at its next
// block, commits what it has and marks its run interrupted. Nothing here blocks the GUI thread,
// except the destructor, which cancels the running job and waits for it (a job must not outlive
// the database handles the window refers to).
#pragma once

#include <QObject>
#include <QString>
#include <QThreadPool>
#include <atomic>
#include <deque>
#include <functional>
#include <memory>

#include "app/job_control.h"
#include "ui/log_panel.h"

namespace ms::ui {

struct JobSpec {
    QString title;    // "score lambda_virus.fa", shown in the queue
    QString db;       // the results database the job writes (resultsChanged names it)
    QString command;  // the equivalent mambascope-cli command line, logged and stored as provenance
    std::function<Result<JobOutcome>(const JobControl&)> run;
};

enum class JobState { queued, running, finished, interrupted, failed, cancelled };
QString toText(JobState s);

class JobQueue : public QObject {
    Q_OBJECT
public:
    explicit JobQueue(QObject* parent = nullptr);
    ~JobQueue() override;

    // Returns the job's id; it starts when the jobs before it are done.
    int enqueue(JobSpec spec);
    // A queued job is dropped; a running one is asked to stop.
    void cancel(int id);
    void cancelAll();
    bool busy() const { return running_ != nullptr; }
    int pendingCount() const { return int(queue_.size()); }

signals:
    void jobQueued(int id, const QString& title);
    void jobStarted(int id);
    // fraction in [0, 1], or -1 when the total is not known; eta in seconds, -1 unknown.
    void jobProgress(int id, double fraction, const QString& text, double etaSeconds);
    void jobFinished(int id, ms::ui::JobState state, const QString& message, qint64 runId, const QString& db);
    void message(ms::ui::LogLevel level, const QString& text);
    // The database got new rows (a run began, a batch was committed, a run ended).
    void resultsChanged(const QString& db);
    void idle();

private:
    struct Job {
        int id = 0;
        JobSpec spec;
        std::atomic<bool> cancel{false};
    };
    void startNext();
    void onProgress(int id, const JobProgress& p);

    QThreadPool pool_;   // one thread: jobs run in order, and each may use the cores itself
    std::deque<std::shared_ptr<Job>> queue_;
    std::shared_ptr<Job> running_;
    int nextId_ = 1;
};

}  // namespace ms::ui
