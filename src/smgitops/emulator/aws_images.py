"""The registries AWS publishes SageMaker's framework containers from, and which of their
images the emulator serves.

A model on such an image (`sagemaker.image_uris.retrieve(...)`, `spec.image`, every SDK
framework model) names an ECR image in an AWS account, not in the caller's. Those images exist
on AWS, so the emulator treats them as present. It serves a model on the scikit-learn and
PyTorch inference images as their inference toolkits would: the model directory's `code/` (or
the code of an `s3://` SAGEMAKER_SUBMIT_DIRECTORY) with `SAGEMAKER_PROGRAM`, run by the
project's serving stack, which speaks the same handler contract. Any other AWS image (XGBoost,
TensorFlow Serving, Hugging Face, built-in algorithms, ...) runs a container the emulator does
not emulate: its endpoint ends `Failed` saying so (`unserved_reason`).

The accounts are those of the SageMaker Python SDK 2.257.7 `image_uri_config` for the
frameworks that serve user code (chainer, huggingface, mxnet, pytorch, sklearn, tensorflow,
xgboost), together with the base image catalog's (`smgitops.baseimages`).
"""

from __future__ import annotations

import functools

from smgitops.baseimages.catalog import load_catalog

SDK_FRAMEWORK_ACCOUNTS = frozenset(
    {
        "048378556238",
        "057415533634",
        "094389454867",
        "104374241257",
        "106583098589",
        "108575199400",
        "121021644041",
        "124985052026",
        "141502667606",
        "190319476487",
        "204538143572",
        "217643126080",
        "226302683700",
        "237065988967",
        "246618743249",
        "246785580436",
        "249704162688",
        "257386234256",
        "257758044811",
        "272398656194",
        "281123927165",
        "286214385809",
        "303241398832",
        "306986355934",
        "313743910680",
        "341280168497",
        "354813040037",
        "364406365360",
        "366743142698",
        "380420809688",
        "387376663083",
        "390948362332",
        "414596584902",
        "422961961927",
        "423003514399",
        "433757028032",
        "442386744353",
        "446045086412",
        "450853457545",
        "451049120500",
        "453391408702",
        "454834333376",
        "455444449433",
        "457447274322",
        "469771592824",
        "475088953585",
        "490574956308",
        "492215442770",
        "501404015308",
        "503227376785",
        "510948584623",
        "520713654638",
        "544295431143",
        "550225433462",
        "590183813437",
        "626614931356",
        "628508329040",
        "632365934929",
        "633930458069",
        "637423239942",
        "644912444149",
        "651117190479",
        "659782779980",
        "662702820516",
        "669576153137",
        "680994064768",
        "683313688378",
        "685385470294",
        "692866216735",
        "720646828776",
        "724002660598",
        "727897471807",
        "737474898029",
        "744548109606",
        "746614075791",
        "749696950732",
        "763104351884",
        "764974769150",
        "765400339828",
        "772153158452",
        "780543022126",
        "783357654285",
        "801668240914",
        "811284229777",
        "813361260812",
        "825641698319",
        "833128469047",
        "855470959533",
        "867004704886",
        "871362719292",
        "886529160074",
        "898809789911",
        "907027046896",
        "914824155844",
        "951798379941",
        "975050140332",
        "978288397137",
        "991648021394",
    }
)


# The repositories of the images the emulator serves: SageMaker's scikit-learn container and
# the PyTorch inference containers (the Deep Learning Containers, their Graviton builds, and
# the sagemaker-pytorch images of PyTorch before 1.2), whose toolkits run the model's
# model_fn/input_fn/predict_fn/output_fn.
SERVED_REPOSITORIES = frozenset(
    {
        "sagemaker-scikit-learn",
        "pytorch-inference",
        "pytorch-inference-graviton",
        "sagemaker-pytorch",
    }
)


@functools.cache
def aws_accounts() -> frozenset[str]:
    """Every AWS account that publishes framework images (read once). No side effects."""
    catalog = {
        account for registries in load_catalog()["registry_sets"] for account in registries.values()
    }
    return SDK_FRAMEWORK_ACCOUNTS | catalog


def is_aws_owned(account: str) -> bool:
    """Whether an ECR registry account is one of AWS's framework image registries."""
    return account in aws_accounts()


def unserved_reason(uri: str, account: str, repository: str) -> str | None:
    """The FailureReason of a model on an AWS image the emulator does not serve, or None
    (the image is not AWS's, or it is one the emulator serves). No side effects.

    AWS runs such an image, so no AWS wording exists: the reason says it is the emulator's.
    """
    if not is_aws_owned(account) or repository in SERVED_REPOSITORIES:
        return None
    served = ", ".join(sorted(SERVED_REPOSITORIES))
    return (
        f"The emulator does not run the AWS image {uri}: of AWS's images it serves only the "
        f"scikit-learn and PyTorch inference images ({served}), running the model's own "
        "handlers (the emulator's wording; on AWS this image would run)."
    )
