"""aimsync: a GitOps batch reconciler for AMD Inference Microservices (AIM) on Kubernetes."""

__version__ = "0.1.0"
