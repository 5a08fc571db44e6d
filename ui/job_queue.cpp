#include "ui/job_queue.h"

#include <QElapsedTimer>
#include <QFutureWatcher>
#include <QtConcurrent/QtConcurrent>
#include <exception>
#include <mutex>

#include "app/digests.h"

namespace ms::ui {

QString toText(JobState s) {
    switch (s) {
        case JobState::queued: return QObject::tr("queued");
        case JobState::running: return QObject::tr("running");
        case JobState::finished: return QObject::tr("finished");
        case JobState::interrupted: return QObject::tr("stopped");
        case JobState::failed: return QObject::tr("failed");
        case JobState::cancelled: return QObject::tr("cancelled");
    }
    return {};
}

namespace {
// What the worker hands back.
struct Finished {
    bool ok = false;
    JobOutcome outcome;
    QString error;
};
}  // namespace

JobQueue::JobQueue(QObject* parent) : QObject(parent) {
    pool_.setMaxThreadCount(1);
    pool_.setObjectName(QStringLiteral("jobQueuePool"));
}

JobQueue::~JobQueue() {
    queue_.clear();
    if (running_) running_->cancel = true;
    pool_.waitForDone();
}

int JobQueue::enqueue(JobSpec spec) {
    auto job = std::make_shared<Job>();
    job->id = nextId_++;
    job->spec = std::move(spec);
    queue_.push_back(job);
    emit jobQueued(job->id, job->spec.title);
    if (!running_) startNext();
    return job->id;
}

void JobQueue::cancel(int id) {
    if (running_ && running_->id == id) {
        if (!running_->cancel.exchange(true)) emit message(LogLevel::info, tr("%1: stopping…").arg(running_->spec.title));
        return;
    }
    for (auto it = queue_.begin(); it != queue_.end(); ++it)
        if ((*it)->id == id) {
            const QString title = (*it)->spec.title;
            queue_.erase(it);
            emit message(LogLevel::info, tr("%1: removed from the queue").arg(title));
            emit jobFinished(id, JobState::cancelled, tr("removed from the queue"), 0, QString());
            return;
        }
}

void JobQueue::cancelAll() {
    while (!queue_.empty()) cancel(queue_.back()->id);
    if (running_) cancel(running_->id);
}

void JobQueue::onProgress(int id, const JobProgress& p) {
    const double fraction = p.total > 0 ? std::clamp(double(p.done) / double(p.total), 0.0, 1.0) : p.total == 0 ? 1.0 : -1.0;
    emit jobProgress(id, fraction, QString::fromStdString(describe(p)), p.eta());
}

void JobQueue::startNext() {
    if (running_ || queue_.empty()) {
        if (!running_) emit idle();
        return;
    }
    running_ = queue_.front();
    queue_.pop_front();
    std::shared_ptr<Job> job = running_;
    emit jobStarted(job->id);
    emit message(LogLevel::info, tr("%1: started (%2)").arg(job->spec.title, job->spec.command));

    auto* watcher = new QFutureWatcher<Finished>(this);
    connect(watcher, &QFutureWatcher<Finished>::finished, this, [this, watcher, job] {
        watcher->deleteLater();
        const Finished f = watcher->result();
        running_.reset();
        if (!f.ok) {
            emit message(LogLevel::error, tr("%1 failed: %2").arg(job->spec.title, f.error));
            emit jobFinished(job->id, JobState::failed, f.error, 0, job->spec.db);
        } else {
            const JobOutcome& o = f.outcome;
            const JobState state = o.status == RunStatus::interrupted ? JobState::interrupted : JobState::finished;
            QString text = QString::fromStdString(o.summary);
            if (!o.result.empty()) text += (text.isEmpty() ? QString() : QStringLiteral("\n")) + QString::fromStdString(o.result);
            emit message(LogLevel::info, text.isEmpty() ? tr("%1: done").arg(job->spec.title) : text);
            emit jobFinished(job->id, state, text, qint64(o.run_id), QString::fromStdString(o.db));
        }
        if (!job->spec.db.isEmpty()) emit resultsChanged(job->spec.db);
        startNext();
    });

    // Progress and notes arrive on the worker thread: hand them to the GUI thread by queued calls,
    // progress at most every 100 ms (a job reports per block or per item) and always the last one.
    // The database is announced as changed when the run has begun and then every few seconds, so
    // the runs table shows it running and the tables fill as batches are committed.
    watcher->setFuture(QtConcurrent::run(&pool_, [this, job]() -> Finished {
        QElapsedTimer since_progress, since_refresh;
        since_progress.start();
        since_refresh.start();
        bool announced = false;
        std::mutex m;   // score's lanes report from several threads
        JobControl control;
        control.cancel = &job->cancel;
        control.on_progress = [&](const JobProgress& p) {
            std::lock_guard lock(m);
            if (!p.last && since_progress.isValid() && since_progress.elapsed() < 100 && announced) return;
            since_progress.restart();
            const int id = job->id;
            QMetaObject::invokeMethod(this, [this, id, p] { onProgress(id, p); }, Qt::QueuedConnection);
            if (!announced || since_refresh.elapsed() > 3000) {
                announced = true;
                since_refresh.restart();
                const QString db = job->spec.db;
                if (!db.isEmpty())
                    QMetaObject::invokeMethod(this, [this, db] { emit resultsChanged(db); }, Qt::QueuedConnection);
            }
        };
        control.on_note = [&](const std::string& text) {
            const QString t = QString::fromStdString(text);
            QMetaObject::invokeMethod(this, [this, t] { emit message(LogLevel::info, t); }, Qt::QueuedConnection);
        };
        Finished f;
        // Exceptions never cross into Qt: a std::bad_alloc or a library's throw becomes a failed job.
        try {
            Result<JobOutcome> r = job->spec.run(control);
            if (r) {
                f.ok = true;
                f.outcome = std::move(*r);
            } else {
                f.error = QString::fromStdString(r.error().message);
            }
        } catch (const std::exception& e) {
            f.error = tr("unexpected failure: %1").arg(QString::fromLocal8Bit(e.what()));
        }
        ms::release_thread_crypto_state();   // before Qt joins this pooled thread (app/digests.h)
        return f;
    }));
}

}  // namespace ms::ui
