"""The map of the last hidden layer: PCA, the sample, a new image's place, and that a
trained network's classes keep apart on it."""

import numpy as np
import pytest

from core.inspect.embedding import embedding_map, pca, penultimate_layer, sample_indices, separation


@pytest.fixture(scope="module")
def mnist_test():
    from core.data.datasets import load_dataset

    return load_dataset("mnist", val_split=0.0)


def test_a_trained_network_keeps_the_classes_apart_on_the_map(mnist_test):
    import keras

    from core.models.registry import build_model
    from core.storage.modelio import load_model
    from tests.helpers import BUNDLED_MODEL

    trained = load_model(BUNDLED_MODEL).model
    found = embedding_map(trained, mnist_test.x_test, mnist_test.y_test, count=2000)
    assert found.layer == penultimate_layer(trained) == "fc2"
    assert found.points.shape == (2000, 2) and len(set(found.indices)) == 2000
    assert (found.predicted == found.labels).mean() > 0.98  # read through the output layer, as the model reads
    keras.utils.set_random_seed(0)
    untrained = embedding_map(build_model("lenet5", (28, 28, 1), 10, form="compact"), mnist_test.x_test,
                              mnist_test.y_test, count=2000)
    trained_score, untrained_score = separation(found.points, found.labels), separation(untrained.points,
                                                                                        untrained.labels)
    assert trained_score > 0.65 and trained_score > untrained_score + 0.2, (trained_score, untrained_score)
    # A test image placed again lands on its own point.
    k = 7
    assert np.allclose(found.place(mnist_test.x_test[found.indices[k]]), found.points[k], atol=1e-3)


def test_pca_finds_the_direction_of_most_variance_with_a_fixed_sign():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(500, 3)) * [10.0, 1.0, 0.1]
    mean, directions, explained = pca(points)
    assert directions.shape == (2, 3) and abs(directions[0, 0]) > 0.99 and directions[0, 0] > 0
    assert explained[0] > 0.95 and explained.sum() <= 1.0
    assert np.allclose(pca(points[::-1])[1], directions)


def test_the_sample_is_the_same_each_time_and_separation_scores_clusters():
    assert np.array_equal(sample_indices(50, 1000), sample_indices(50, 1000))
    assert list(sample_indices(5, 3)) == [0, 1, 2]
    labels = np.repeat([0, 1, 2], 20)
    apart = np.repeat([[0, 0], [10, 0], [0, 10]], 20, axis=0) + np.random.default_rng(0).normal(size=(60, 2))
    assert separation(apart, labels) == 1.0
    mixed = np.random.default_rng(1).normal(size=(60, 2))
    assert separation(mixed, labels) < 0.7
