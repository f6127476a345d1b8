"""Tests for wayhome.io.raster: elevation models in, POA maps out and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import numpy as np
import pytest
import rasterio
from affine import Affine
from numpy.typing import NDArray

from wayhome.errors import DataFileError, InvalidParameterError, UsageError
from wayhome.geo.grid import GridSpec
from wayhome.io.raster import (
    RasterData,
    read_dem,
    read_poa_geotiff,
    write_poa_geotiff,
    write_raster_geotiff,
)
from wayhome.probability.poa import POA

UTM = Affine(30.0, 0.0, 376_000.0, 0.0, -30.0, 3_808_000.0)


def write_tif(
    path: Path,
    values: NDArray[Any],
    *,
    crs: str | None = "EPSG:32611",
    transform: Affine | None = UTM,
    nodata: float | None = None,
) -> Path:
    """A single-band GeoTIFF made with rasterio directly (not the code under test)."""
    profile: dict[str, Any] = {
        "driver": "GTiff",
        "height": values.shape[0],
        "width": values.shape[1],
        "count": 1,
        "dtype": values.dtype.name,
        "nodata": nodata,
    }
    if crs is not None:
        profile["crs"] = crs
    if transform is not None:
        profile["transform"] = transform
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(values, 1)
    return path


def sample_grid(rows: int = 4, cols: int = 5) -> GridSpec:
    return GridSpec(crs="EPSG:32611", transform=UTM, shape=(rows, cols))


def sample_poa(rows: int = 4, cols: int = 5) -> POA:
    rng = np.random.default_rng(7)
    w = rng.random((rows, cols))
    rest = 0.125
    return POA(sample_grid(rows, cols), w * ((1 - rest) / w.sum()), rest, "rings", ("a", "b"))


# ---------------------------------------------------------------------------- read_dem
@pytest.mark.parametrize(
    ("dtype", "nodata"),
    [("int16", -32768), ("uint16", 65535), ("float32", -9999.0), ("float64", None)],
)
def test_read_dem_types_and_nodata(tmp_path: Path, dtype: str, nodata: float | None) -> None:
    values = np.arange(12, dtype=dtype).reshape(3, 4) + 100
    if nodata is not None:
        values[0, 0] = nodata
    dem = read_dem(write_tif(tmp_path / "dem.tif", values, nodata=nodata))
    assert dem.values.dtype == np.float32
    assert dem.values.shape == (3, 4)
    assert dem.crs == "EPSG:32611"
    assert dem.transform == UTM
    assert dem.source == "dem.tif"
    assert dem.values[2, 3] == 111.0
    if nodata is not None:
        assert np.isnan(dem.values[0, 0])
        assert dem.nodata_fraction == pytest.approx(1 / 12)
    else:
        assert dem.nodata_fraction == 0.0


def test_read_dem_crs_without_epsg_code_is_wkt(tmp_path: Path) -> None:
    custom = "+proj=tmerc +lat_0=0 +lon_0=-117.3 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80"
    dem = read_dem(write_tif(tmp_path / "dem.tif", np.ones((2, 2), np.float32), crs=custom))
    assert not dem.crs.startswith("EPSG:")
    assert "Transverse_Mercator" in dem.crs or "Transverse Mercator" in dem.crs


def test_missing_dem(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match=r"dem: no such file .*nope\.tif"):
        read_dem(tmp_path / "nope.tif")


def test_corrupt_dem_random_bytes(tmp_path: Path) -> None:
    bad = tmp_path / "dem.tif"
    bad.write_bytes(np.random.default_rng(1).bytes(4096))
    with pytest.raises(DataFileError, match=r"'dem\.tif' is not a readable raster") as info:
        read_dem(bad)
    assert "GDAL says" in str(info.value)
    assert "give a GeoTIFF elevation model" in str(info.value)
    assert isinstance(info.value, UsageError)


def test_text_file_is_not_a_dem(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("IPP at the trailhead, 34.3N 118.1W\n")
    with pytest.raises(DataFileError, match="not a readable raster"):
        read_dem(text)


def test_truncated_geotiff_fails_on_read(tmp_path: Path) -> None:
    good = write_tif(tmp_path / "good.tif", np.ones((200, 200), np.float32))
    data = good.read_bytes()
    (tmp_path / "cut.tif").write_bytes(data[: len(data) // 3])
    with pytest.raises(DataFileError, match=r"'cut\.tif' is not a readable raster"):
        read_dem(tmp_path / "cut.tif")


def test_dem_without_crs(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "plain.tif", np.ones((3, 3), np.int16), crs=None)
    with pytest.raises(DataFileError, match="has no coordinate reference system"):
        read_dem(path)


def test_dem_without_georeferencing_at_all(tmp_path: Path) -> None:
    # rasterio warns (NotGeoreferencedWarning) on such files; with -W error that would
    # escape as a library traceback unless read_dem handles it.
    with pytest.warns(rasterio.errors.NotGeoreferencedWarning):
        write_tif(tmp_path / "bare.tif", np.ones((3, 3), np.int16), crs=None, transform=None)
    with pytest.raises(DataFileError, match="has no coordinate reference system"):
        read_dem(tmp_path / "bare.tif")


def test_dem_all_nodata(tmp_path: Path) -> None:
    values = np.full((3, 3), -9999, np.int16)
    path = write_tif(tmp_path / "void.tif", values, nodata=-9999)
    with pytest.raises(DataFileError, match=r"every cell of 'void\.tif' is nodata"):
        read_dem(path)


def test_dem_complex_values(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "c.tif", np.ones((2, 2), np.complex64))
    with pytest.raises(DataFileError, match="complex64 values, not real numbers"):
        read_dem(path)


def test_dem_directory(tmp_path: Path) -> None:
    with pytest.raises(DataFileError, match="is a directory"):
        read_dem(tmp_path)


def test_raster_data_validates() -> None:
    with pytest.raises(InvalidParameterError, match="2-D"):
        RasterData(np.zeros(3, np.float32), UTM, "EPSG:32611", "x")
    with pytest.raises(InvalidParameterError, match="float32"):
        RasterData(cast(Any, np.zeros((3, 3))), UTM, "EPSG:32611", "x")


# ---------------------------------------------------------------------------- real DEMs
def test_big_tujunga_int16_utm(shared_data: Path) -> None:
    dem = read_dem(shared_data / "terrain/big_tujunga_ca/bigtujunga_srtm30m_utm11.tif")
    assert dem.values.shape == (643, 1197)
    assert dem.crs == "EPSG:32611"
    assert dem.nodata_fraction == 0.0
    assert float(np.nanmin(dem.values)) == 315.0
    assert float(np.nanmax(dem.values)) == 2295.0
    assert dem.transform.a == pytest.approx(30.0)


def test_red_butte_float32_with_holes(shared_data: Path) -> None:
    dem = read_dem(shared_data / "terrain/red_butte_ut/red_butte_dem.tif")
    assert dem.values.shape == (268, 260)
    assert dem.crs == "EPSG:26912"
    assert int(np.isnan(dem.values).sum()) == 37_948
    assert dem.nodata_fraction == pytest.approx(37_948 / 69_680)
    assert 1580.0 < float(np.nanmin(dem.values)) < float(np.nanmax(dem.values)) < 2521.0


def test_zion_uint16_geographic(shared_data: Path) -> None:
    dem = read_dem(shared_data / "terrain/zion_ut/zion_srtm90m.tif")
    assert dem.values.shape == (457, 465)
    assert dem.crs == "EPSG:4326"
    assert dem.nodata_fraction == 0.0
    assert float(np.nanmin(dem.values)) == 1024.0
    assert float(np.nanmax(dem.values)) == 2892.0
    assert dem.transform.c == pytest.approx(-113.2396, abs=1e-3)


# ---------------------------------------------------------------------------- POA
def test_poa_round_trip(tmp_path: Path) -> None:
    poa = sample_poa()
    path = tmp_path / "poa.tif"
    write_poa_geotiff(path, poa)
    back = read_poa_geotiff(path)
    assert back.grid == poa.grid
    assert back.rest_of_world == poa.rest_of_world
    assert back.model == "rings"
    assert back.notes == ("a", "b")
    np.testing.assert_allclose(back.cells, poa.cells, rtol=1e-6)
    assert float(back.cells.sum()) + back.rest_of_world == pytest.approx(1.0, abs=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["poa.tif"]


def test_poa_file_is_float32_compressed_tagged(tmp_path: Path) -> None:
    path = tmp_path / "poa.tif"
    write_poa_geotiff(path, sample_poa(300, 260))
    with rasterio.open(path) as ds:
        assert ds.dtypes == ("float32",)
        assert ds.compression is not None
        assert ds.block_shapes == [(256, 256)]
        tags = ds.tags()
    assert tags["units"] == "probability per cell"
    assert tags["rest_of_world"] == "0.125"
    assert tags["model"] == "rings"


def test_small_poa_is_not_tiled(tmp_path: Path) -> None:
    write_poa_geotiff(tmp_path / "poa.tif", sample_poa(300, 200))
    with rasterio.open(tmp_path / "poa.tif") as ds:
        assert ds.block_shapes[0][1] == 200


def test_poa_read_by_a_plain_tool_sums_with_rest_of_world(tmp_path: Path) -> None:
    write_poa_geotiff(tmp_path / "poa.tif", sample_poa())
    with rasterio.open(tmp_path / "poa.tif") as ds:
        total = float(ds.read(1).astype(np.float64).sum())
    assert total + 0.125 == pytest.approx(1.0, abs=1e-6)


def test_read_poa_refuses_a_dem(tmp_path: Path) -> None:
    path = write_tif(tmp_path / "dem.tif", np.ones((3, 3), np.float32))
    with pytest.raises(DataFileError, match="has no 'model' tag"):
        read_poa_geotiff(path)


def test_read_poa_refuses_cells_that_do_not_sum(tmp_path: Path) -> None:
    path = tmp_path / "poa.tif"
    tags = {"model": "x", "rest_of_world": "0.5"}
    write_raster_geotiff(path, np.full((2, 2), 0.25, np.float32), sample_grid(2, 2), tags=tags)
    with pytest.raises(DataFileError, match=r"sum to 1\.000000 but rest_of_world is 0\.5"):
        read_poa_geotiff(path)


def test_read_poa_refuses_negative_cells(tmp_path: Path) -> None:
    path = tmp_path / "poa.tif"
    cells = np.array([[0.75, -0.25], [0.25, 0.25]], np.float32)
    write_raster_geotiff(path, cells, sample_grid(2, 2), tags={"model": "x", "rest_of_world": "0"})
    with pytest.raises(DataFileError, match="not a valid POA map"):
        read_poa_geotiff(path)


# ---------------------------------------------------------------------------- write_raster
@pytest.mark.parametrize("dtype", ["uint8", "int16", "int32", "float32", "float64"])
def test_write_raster_keeps_values_and_type(tmp_path: Path, dtype: str) -> None:
    values = (np.arange(20).reshape(4, 5) * 3).astype(dtype)
    path = tmp_path / "r.tif"
    write_raster_geotiff(path, values, sample_grid(), nodata=0, tags={"what": "test"})
    with rasterio.open(path) as ds:
        np.testing.assert_array_equal(ds.read(1), values)
        assert ds.dtypes == (dtype,)
        assert ds.nodata == 0
        assert ds.crs.to_epsg() == 32611
        assert ds.transform == UTM
        assert ds.tags()["what"] == "test"


def test_write_raster_bool_as_uint8(tmp_path: Path) -> None:
    mask = np.eye(4, 5, dtype=bool)
    write_raster_geotiff(tmp_path / "m.tif", mask, sample_grid())
    with rasterio.open(tmp_path / "m.tif") as ds:
        assert ds.dtypes == ("uint8",)
        np.testing.assert_array_equal(ds.read(1), mask.astype(np.uint8))


def test_write_raster_nan_nodata_reads_back_as_dem(tmp_path: Path) -> None:
    values = np.ones((4, 5), np.float32)
    values[1, 1] = np.nan
    write_raster_geotiff(tmp_path / "d.tif", values, sample_grid(), nodata=float("nan"))
    dem = read_dem(tmp_path / "d.tif")
    assert dem.nodata_fraction == pytest.approx(1 / 20)


def test_write_raster_wrong_shape(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match=r"shape \(3, 3\) does not match"):
        write_raster_geotiff(tmp_path / "x.tif", np.ones((3, 3)), sample_grid())
    assert list(tmp_path.iterdir()) == []


def test_write_raster_object_values(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameterError, match="cannot hold"):
        write_raster_geotiff(tmp_path / "x.tif", np.full((4, 5), "a"), sample_grid())


def test_unknown_crs(tmp_path: Path) -> None:
    bad_grid = GridSpec(crs="EPSG:999999", transform=UTM, shape=(4, 5))
    with pytest.raises(InvalidParameterError, match="PROJ does not know the CRS 'EPSG:999999'"):
        write_raster_geotiff(tmp_path / "x.tif", np.ones((4, 5), np.float32), bad_grid)
    assert list(tmp_path.iterdir()) == []


def test_failed_write_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "poa.tif"
    write_poa_geotiff(path, sample_poa())
    before = path.read_bytes()
    real_open = rasterio.open

    def open_then_fail(fp: Path, mode: str = "r", **kwargs: Any) -> Any:
        with real_open(fp, mode, **kwargs) as ds:
            ds.write(np.zeros((4, 5), np.float32), 1)
        raise rasterio.errors.RasterioIOError("simulated: No space left on device")

    monkeypatch.setattr(rasterio, "open", open_then_fail)
    with pytest.raises(DataFileError, match=r"could not write .*No space left"):
        write_poa_geotiff(path, sample_poa())
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["poa.tif"]
