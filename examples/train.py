"""A small regression model trained with a custom tf.function step.

Run it and TensorFlow stops on the first call of `train_step` with
`ValueError: tf.function only supports singleton tf.Variables created on the first call`.
`fixer --diff examples/train.py` shows the fix.
"""

import numpy as np
import tensorflow as tf

tf.random.set_seed(0)
features = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
targets = features @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")

model = tf.keras.Sequential([tf.keras.Input(shape=(3,)), tf.keras.layers.Dense(1)])
loss_fn = tf.keras.losses.MeanSquaredError()


@tf.function
def train_step(inputs, labels):
    optimizer = tf.keras.optimizers.Adam(learning_rate=0.05)
    with tf.GradientTape() as tape:
        loss = loss_fn(labels, model(inputs, training=True))
    gradients = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(gradients, model.trainable_variables))
    return loss


def make_eval_step(model, threshold):
    @tf.function
    def eval_step(inputs, labels, learning_rate):
        # The rate arrives per call, so this optimizer cannot move: fixer says why.
        probe = tf.keras.optimizers.SGD(learning_rate=learning_rate)
        return loss_fn(labels, model(inputs)) < threshold, probe.iterations

    return eval_step


if __name__ == "__main__":
    for _ in range(20):
        loss = train_step(features, targets)
    print(f"final loss {float(loss):.4f}")
