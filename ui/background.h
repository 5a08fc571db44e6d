// Work off the GUI thread: `work` runs on Qt's thread pool, `done` gets its result on the thread of
// `context` (the GUI thread), unless `context` was destroyed meanwhile. The GUI never waits on I/O.
#pragma once

#include <QFutureWatcher>
#include <QObject>
#include <QtConcurrent/QtConcurrent>
#include <type_traits>
#include <utility>

namespace ms::ui {

template <class Work, class Done>
void runInBackground(QObject* context, Work work, Done done) {
    using T = std::invoke_result_t<Work>;
    auto* watcher = new QFutureWatcher<T>(context);
    QObject::connect(watcher, &QFutureWatcher<T>::finished, context, [watcher, done = std::move(done)]() mutable {
        watcher->deleteLater();
        done(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run(std::move(work)));
}

}  // namespace ms::ui
