"""The page django-axes answers with while a username is locked out from an address."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def response(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
