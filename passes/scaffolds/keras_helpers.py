"""Keras helpers that a lifted model still calls, written without Keras.

``lift-functional-model`` copies a function from here into the output in place of the
Keras one it names (``functional_model.helper_functions`` in the traits), or to pad as
Keras's ``padding="same"`` does where the target cannot (``same_padding_helper``). Each
computes what Keras does for the channels_last tensors a lifted model works on, reading
only ``.shape``, so it runs on any framework's tensors.
"""


def correct_pad(inputs, kernel_size):
    """The ((top, bottom), (left, right)) zero padding before a strided convolution of
    ``kernel_size`` on NHWC ``inputs``, as Keras's ``imagenet_utils.correct_pad``:
    half the kernel on each side, one row (column) less on top (left) of an even height
    (width)."""
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    height, width = inputs.shape[1], inputs.shape[2]
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - 1 + height % 2, half[0]), (half[1] - 1 + width % 2, half[1]))


def same_padding(inputs, kernel_size, strides, dilation_rate=1):
    """The ((top, bottom), (left, right)) zero padding Keras's ``padding="same"`` adds to
    NHWC ``inputs`` for a convolution: what makes each output side ``ceil(size / stride)``
    long, the odd row (column) at the bottom (right)."""
    sides = []
    for axis in (0, 1):
        size = inputs.shape[1 + axis]
        kernel, stride, dilation = (v if isinstance(v, int) else v[axis]
                                    for v in (kernel_size, strides, dilation_rate))
        total = max((-(-size // stride) - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
        sides.append((total // 2, total - total // 2))
    return tuple(sides)
