# CUDA is optional: the CUDA backend is a separate module, built only when a compiler is found,
# and loaded at run time, so one build runs with and without a CUDA runtime.
set(MAMBASCOPE_HAVE_CUDA OFF)
set(MAMBASCOPE_CUDA_STATUS "off (MAMBASCOPE_CUDA=OFF)")
if(MAMBASCOPE_CUDA)
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX} AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)   # Debian's default toolkit location
  endif()
  include(CheckLanguage)
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Ampere (A100, A10/RTX 30), Ada (L4/RTX 40), Hopper (H100/H200) machine code, and PTX for newer GPUs.
      set(CMAKE_CUDA_ARCHITECTURES 80-real 86-real 89-real 90-real 90-virtual)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(MAMBASCOPE_HAVE_CUDA ON)
    set(MAMBASCOPE_CUDA_STATUS "on (nvcc ${CMAKE_CUDA_COMPILER_VERSION}, architectures ${CMAKE_CUDA_ARCHITECTURES})")
  else()
    set(MAMBASCOPE_CUDA_STATUS "off (no CUDA compiler found: building CPU-only)")
  endif()
endif()
message(STATUS "CUDA backend: ${MAMBASCOPE_CUDA_STATUS}")
