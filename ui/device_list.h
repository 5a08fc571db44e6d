// The devices a job can run on, as the engine's registry lists them (CPU, each GPU with its
// memory), in a combo box whose item data is the --device word.
#pragma once

#include <QString>

class QComboBox;

namespace ms::ui {

// Fills `box` with "Automatic (a GPU when usable)", the CPU and every GPU; unusable GPUs are
// listed greyed out with the reason as tooltip. Selects `current` when present.
void fillDeviceBox(QComboBox* box, const QString& current);

}  // namespace ms::ui
