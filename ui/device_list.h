// The devices a job can run on, as the engine's registry lists them (CPU, each GPU with its
// memory), and the precisions it can compute in, in combo boxes whose item data is the --device
// or --precision word.
#pragma once

#include <QString>

class QComboBox;

namespace ms::ui {

// Fills `box` with "Automatic (a GPU when usable)", the CPU and every GPU; unusable GPUs are
// listed greyed out with the reason as tooltip. Selects `current` when present.
void fillDeviceBox(QComboBox* box, const QString& current);

// Fills `box` with automatic (bf16 on a GPU, fp32 on the CPU), fp32 and bf16; selects `current`
// when present, else automatic.
void fillPrecisionBox(QComboBox* box, const QString& current);

}  // namespace ms::ui
