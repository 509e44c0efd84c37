# Guest toolchain functions (being written)
